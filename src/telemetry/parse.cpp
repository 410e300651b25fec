// Telemetry API batches: one POST body into events, each kept byte for byte as Lambda sent it.
#include "event_scan.hpp"
#include "ltf/telemetry.hpp"

#include <boost/json/error.hpp>

#include <algorithm>
#include <cctype>
#include <optional>

namespace ltf::telemetry {

namespace json = boost::json;

namespace {

bool is_json_whitespace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// How deep an event may nest (its own levels, the batch's array not counted). Function logs in
// JSON format carry whatever the function logged; Boost.JSON's default of 32 levels would refuse
// many. Deeper than this, the event alone is refused (see parse_batch).
constexpr std::size_t max_event_depth = 1023;

// The source text of each element of a JSON array, in order, without surrounding whitespace;
// nullopt when `array` is not framed as one array (its elements' own syntax is not checked here).
//
// Why by hand: Boost.JSON's DOM keeps no source offsets, its basic_parser reports values but not
// where they start or end, and serialising a parsed value again does not give back the bytes Lambda
// sent (2598.0 becomes 2.598E3, escapes are normalised). So the boundaries are found here, and
// only here, with the least a scanner needs: it steps over strings and counts nesting. Each
// element it finds is then scanned on its own, or was part of a body the scanner accepted whole.
std::optional<std::vector<std::string_view>> element_texts(std::string_view array) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < array.size() && is_json_whitespace(array[i])) ++i;
  if (i == array.size() || array[i] != '[') return std::nullopt;
  std::size_t depth = 1;
  std::size_t start = std::string_view::npos;  // where the current element began
  bool after_comma = false;
  auto close_element = [&](std::size_t end) {
    while (end > start && is_json_whitespace(array[end - 1])) --end;
    out.push_back(array.substr(start, end - start));
    start = std::string_view::npos;
  };
  for (++i; i < array.size() && depth > 0; ++i) {
    const char c = array[i];
    if (depth == 1 && start == std::string_view::npos) {
      if (is_json_whitespace(c)) continue;
      if (c == ',' || (c == ']' && after_comma)) return std::nullopt;  // an element is missing
      if (c == ']') {  // "[]"
        depth = 0;
        continue;
      }
      start = i;
    }
    switch (c) {
      case '"': {
        // Jump to the closing quote: the first quote after this one that is not escaped, i.e.
        // not preceded by an odd run of backslashes. (find() is memchr: strings are most of a
        // body, and stepping through them a byte at a time costs as much as the parse itself.)
        std::size_t backslashes = 0;
        do {
          i = array.find('"', i + 1);
          if (i == std::string_view::npos) return std::nullopt;
          backslashes = 0;
          while (array[i - 1 - backslashes] == '\\') ++backslashes;
        } while (backslashes % 2 == 1);
        break;
      }
      case '[':
      case '{': ++depth; break;
      case ']':
      case '}':
        if (depth == 1 && c == '}') return std::nullopt;
        if (--depth == 0) close_element(i);
        break;
      case ',':
        if (depth == 1) {
          close_element(i);
          after_comma = true;
        }
        break;
      default: break;
    }
  }
  if (depth != 0) return std::nullopt;
  for (; i < array.size(); ++i)
    if (!is_json_whitespace(array[i])) return std::nullopt;
  return out;
}

}  // namespace

Priority priority_of_level(std::string_view level) {
  auto is = [level](std::string_view word) {
    return level.size() == word.size() &&
           std::equal(level.begin(), level.end(), word.begin(),
                      [](char a, char b) { return std::toupper(static_cast<unsigned char>(a)) == b; });
  };
  if (is("TRACE")) return Priority::trace;
  if (is("DEBUG")) return Priority::debug;
  if (is("WARN") || is("WARNING")) return Priority::warn;
  if (is("ERROR")) return Priority::error;
  if (is("FATAL") || is("CRITICAL")) return Priority::fatal;
  return Priority::info;
}

namespace {

// `level`: the record's "level" string, if it has one.
Priority rank_of(const Event& event, const std::optional<std::string>& level) {
  switch (event.category()) {
    case Category::platform:
      if (event.type == "platform.report" || event.type == "platform.runtimeDone" ||
          event.type == "platform.logsDropped")
        return Priority::essential;
      return Priority::platform;
    case Category::function:
    case Category::extension: return level ? priority_of_level(*level) : Priority::info;
    case Category::unknown: break;
  }
  return event.type == counters_event_type ? Priority::essential : Priority::platform;
}

}  // namespace

Priority priority(Event& event) {
  if (event.rank != Priority::unranked) return event.rank;
  std::optional<std::string> level;
  // Only log lines need their record read, and only JSON ones can carry a level. The same scan
  // as parse_batch's reads it (an event that is not JSON has none).
  const Category category = event.category();
  if ((category == Category::function || category == Category::extension) &&
      event.raw.find("\"level\"") != std::string::npos) {
    std::vector<EventFields> fields;
    if (!scan_events(event.raw, false, max_event_depth, fields).error && fields.size() == 1)
      level = std::move(fields.front().level);
  }
  event.rank = rank_of(event, level);
  return event.rank;
}

namespace {

// Appends the event whose source text is `text` and whose fields are `fields`; false when it is
// not one (not an object with string "type" and "time").
bool take_event(EventFields& fields, std::string_view text, std::vector<Event>& out) {
  if (!fields.object || !fields.type || !fields.time) return false;
  Event& event = out.emplace_back();
  event.raw.assign(text);
  event.type = std::move(*fields.type);
  event.time = std::move(*fields.time);
  if (fields.request_id) event.request_id = std::move(*fields.request_id);
  event.rank = rank_of(event, fields.level);
  return true;
}

// The body was refused as too deep: some element nests beyond max_event_depth. Each element is
// scanned on its own, so that the one too deep is refused alone and the others are kept. Any other
// fault still refuses the whole body, and nothing is appended then.
ParseOutcome parse_elements_one_by_one(std::string_view body, std::vector<Event>& out) {
  ParseOutcome outcome;
  const auto texts = element_texts(body);
  if (!texts) {
    outcome.error = "not JSON: " + json::make_error_code(json::error::too_deep).message();
    return outcome;
  }
  const std::size_t kept = out.size();
  std::vector<EventFields> fields;
  for (const std::string_view text : *texts) {
    fields.clear();
    const ScanOutcome scanned = scan_events(text, false, max_event_depth, fields);
    if (scanned.error == json::error::too_deep) {
      ++outcome.rejected;
      continue;
    }
    if (scanned.error) {
      out.resize(kept);
      return ParseOutcome{"not JSON: " + scanned.error.message(), 0, 0};
    }
    if (fields.size() == 1 && take_event(fields.front(), text, out)) ++outcome.accepted;
    else ++outcome.rejected;
  }
  return outcome;
}

}  // namespace

ParseOutcome parse_batch(std::string_view body, std::vector<Event>& out) {
  ParseOutcome outcome;
  std::vector<EventFields> fields;
  // The batch's array, then the events' own levels.
  const ScanOutcome scanned = scan_events(body, true, max_event_depth + 1, fields);
  if (scanned.error == json::error::too_deep) return parse_elements_one_by_one(body, out);
  if (scanned.error) {
    outcome.error = "not JSON: " + scanned.error.message();
    return outcome;
  }
  if (!scanned.array) {
    outcome.error = "not a JSON array";
    return outcome;
  }
  const auto texts = element_texts(body);
  if (!texts || texts->size() != fields.size()) {  // cannot happen on text the scanner accepted
    outcome.error = "internal error: array elements could not be located";
    return outcome;
  }

  out.reserve(out.size() + fields.size());
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (take_event(fields[i], (*texts)[i], out)) ++outcome.accepted;
    else ++outcome.rejected;
  }
  return outcome;
}

}  // namespace ltf::telemetry
