// scan_events: a Boost.JSON basic_parser handler that keeps type, time, record.requestId and
// record.level of each event. parse_batch used to build a DOM of the whole batch only to read
// those; the DOM allocated every string of the batch and hashed every key.
#include "event_scan.hpp"

#include <boost/json/basic_parser_impl.hpp>

#include <cstdint>

namespace ltf::telemetry {

namespace {

namespace json = boost::json;
using boost::system::error_code;

class EventScanner {
 public:
  static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);

  EventScanner(bool events_are_elements, std::vector<EventFields>& out)
      : event_depth_(events_are_elements ? 1 : 0), out_(out) {}

  bool top_is_array() const { return top_is_array_; }

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_array_begin(error_code&) { return container_begins(Kind::array); }
  bool on_array_end(std::size_t, error_code&) { return container_ends(); }
  bool on_object_begin(error_code&) { return container_begins(Kind::object); }
  bool on_object_end(std::size_t, error_code&) { return container_ends(); }
  bool on_key_part(json::string_view s, std::size_t, error_code&) {
    if (!key_open_) key_.clear();
    key_open_ = true;
    key_.append(s.data(), s.size());
    return true;
  }
  bool on_key(json::string_view s, std::size_t n, error_code& ec) {
    on_key_part(s, n, ec);
    key_open_ = false;
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t, error_code&) {
    if (!string_open_) {
      value_starts(Kind::string);
      string_open_ = true;
    }
    if (target_) target_->append(s.data(), s.size());
    return true;
  }
  bool on_string(json::string_view s, std::size_t n, error_code& ec) {
    on_string_part(s, n, ec);
    string_open_ = false;
    target_ = nullptr;
    return true;
  }
  bool on_number_part(json::string_view, error_code&) {
    if (!number_open_) value_starts(Kind::other);
    number_open_ = true;
    return true;
  }
  bool on_int64(std::int64_t, json::string_view, error_code& ec) { return number_ends(ec); }
  bool on_uint64(std::uint64_t, json::string_view, error_code& ec) { return number_ends(ec); }
  bool on_double(double, json::string_view, error_code& ec) { return number_ends(ec); }
  bool on_bool(bool, error_code&) {
    value_starts(Kind::other);
    return true;
  }
  bool on_null(error_code&) {
    value_starts(Kind::other);
    return true;
  }
  bool on_comment_part(json::string_view, error_code&) { return true; }
  bool on_comment(json::string_view, error_code&) { return true; }

 private:
  enum class Kind { object, array, string, other };

  bool container_begins(Kind kind) {
    value_starts(kind);
    containers_.push_back(kind == Kind::object);
    return true;
  }
  bool container_ends() {
    containers_.pop_back();
    // A member of the event closed: if it was the record, what follows is no longer in it.
    if (containers_.size() == event_depth_ + 1) in_record_ = false;
    return true;
  }

  bool number_ends(error_code&) {
    if (!number_open_) value_starts(Kind::other);
    number_open_ = false;
    return true;
  }

  // A value of `kind` begins at the current depth: is it an event, or one of an event's fields?
  void value_starts(Kind kind) {
    const std::size_t depth = containers_.size();
    if (depth == 0) top_is_array_ = kind == Kind::array;
    if (depth == event_depth_) {
      out_.emplace_back().object = kind == Kind::object;
      return;
    }
    if (depth == event_depth_ + 1 && containers_.back()) {  // a member of the event
      EventFields& event = out_.back();
      if (key_ == "type") take(event.type, kind);
      else if (key_ == "time") take(event.time, kind);
      else if (key_ == "record") {  // the last record is the one: forget an earlier one's
        event.request_id.reset();
        event.level.reset();
        in_record_ = kind == Kind::object;
      }
      return;
    }
    if (depth == event_depth_ + 2 && in_record_) {  // a member of the event's record
      EventFields& event = out_.back();
      if (key_ == "requestId") take(event.request_id, kind);
      else if (key_ == "level") take(event.level, kind);
    }
  }

  // `field` gets the string that begins now, or is absent when the value is no string.
  void take(std::optional<std::string>& field, Kind kind) {
    if (kind != Kind::string) {
      field.reset();
      return;
    }
    field.emplace();
    target_ = &*field;
  }

  std::size_t event_depth_;  // how many containers enclose an event: 1 in a batch, 0 alone
  std::vector<EventFields>& out_;
  std::vector<bool> containers_;  // the open ones, outermost first: true for an object
  std::string key_;               // the last member name read
  bool key_open_ = false, string_open_ = false, number_open_ = false;
  bool in_record_ = false;  // inside the current event's "record" object
  bool top_is_array_ = false;
  std::string* target_ = nullptr;  // where the string being read goes, if anywhere
};

}  // namespace

ScanOutcome scan_events(std::string_view text, bool events_are_elements, std::size_t max_depth,
                        std::vector<EventFields>& out) {
  json::parse_options options;
  options.max_depth = max_depth;
  json::basic_parser<EventScanner> parser(options, events_are_elements, out);
  ScanOutcome outcome;
  const std::size_t used = parser.write_some(false, text.data(), text.size(), outcome.error);
  if (!outcome.error && used < text.size()) outcome.error = json::error::extra_data;
  outcome.array = parser.handler().top_is_array();
  return outcome;
}

}  // namespace ltf::telemetry
