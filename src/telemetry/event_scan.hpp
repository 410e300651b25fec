#pragma once
// What parse_batch reads of each event, found without building a JSON tree (private to the
// telemetry module): a Boost.JSON basic_parser handler validates the text as the DOM parser would
// and keeps only the few strings an Event needs.

#include <boost/system/error_code.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ltf::telemetry {

// One element's fields, as the last of any duplicate key gives them (as a JSON object keeps the
// last). A field that is there but not a string is absent.
struct EventFields {
  bool object = false;                   // the element is a JSON object
  std::optional<std::string> type, time;
  std::optional<std::string> request_id, level;  // record.requestId, record.level
};

struct ScanOutcome {
  boost::system::error_code error;  // the text is not JSON (or nests deeper than max_depth)
  bool array = false;               // its top-level value is an array
};

// Scans `text`: with `events_are_elements`, a JSON array whose elements are events (a batch);
// without, one event. Appends one EventFields per event to `out`. `max_depth` bounds nesting as
// boost::json::parse_options::max_depth does.
ScanOutcome scan_events(std::string_view text, bool events_are_elements, std::size_t max_depth,
                        std::vector<EventFields>& out);

}  // namespace ltf::telemetry
