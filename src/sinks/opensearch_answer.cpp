// The cluster's answers, read as a stream (Boost.JSON's basic_parser), a piece at a time as they
// arrive: only the fields we use are kept, each bounded, so a 200 MB _bulk answer costs its items'
// statuses, never a JSON tree nor the body itself.
#include "ltf/opensearch.hpp"

#include <boost/json/basic_parser_impl.hpp>

#include <algorithm>

namespace ltf::opensearch {

namespace json = boost::json;
using boost::system::error_code;

namespace {

// How deep an answer may nest (error.caused_by chains): deeper is not an answer of OpenSearch's.
constexpr std::size_t max_answer_depth = 64;

// Appends `piece` to `out` up to `limit` bytes; one byte more marks that there was more.
void append_bounded(std::string& out, std::string_view piece, std::size_t limit) {
  if (out.size() <= limit) out.append(piece.substr(0, limit + 1 - out.size()));
}

// What every handler does with what it does not look at: nothing. Keys are collected (bounded:
// the keys we look for are short), and `depth` counts the containers we are in.
struct Walker {
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);
  static constexpr std::size_t key_limit = 16;

  std::size_t depth = 0;
  std::string key;  // the last key at the current depth, at most key_limit + 1 bytes
  bool key_done = true;

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_key_part(json::string_view s, std::size_t, error_code&) {
    if (key_done) key.clear();
    key_done = false;
    append_bounded(key, s, key_limit);
    return true;
  }
  bool on_key(json::string_view s, std::size_t n, error_code& ec) {
    on_key_part(s, n, ec);
    key_done = true;
    return true;
  }
  bool on_number_part(json::string_view, error_code&) { return true; }
  bool on_double(double, json::string_view, error_code&) { return true; }
  bool on_bool(bool, error_code&) { return true; }
  bool on_null(error_code&) { return true; }
  bool on_comment_part(json::string_view, error_code&) { return true; }
  bool on_comment(json::string_view, error_code&) { return true; }
};

// A _bulk answer: {"errors":..,"items":[{"<op>":{"status":N,"error":{"type":..,"reason":..}}}]}.
// Depth 1 is the answer, 2 the items array, 3 an item's wrapper, 4 its result, 5 the error.
struct BulkAnswer : Walker {
  std::size_t expected = 0;
  std::vector<BulkItem>* items = nullptr;
  std::size_t count = 0;  // items seen, kept or not
  std::string problem;
  bool top_is_object = false;
  bool saw_items = false;
  bool items_array = false;  // inside the top-level "items" array
  bool in_error = false;     // inside an item's error object
  // The item being read.
  std::size_t wrapper_keys = 0;
  std::optional<std::uint64_t> status;
  bool status_invalid = false;
  bool has_error = false;
  std::string type;
  std::string reason;
  std::string* text = nullptr;  // where the string being read goes, if anywhere
  std::size_t text_limit = 0;

  bool fail(std::string why, error_code& ec) {
    problem = std::move(why);
    ec = json::error::extra_data;  // any error: it stops the parser; `problem` says what it was
    return false;
  }
  bool on_object_begin(error_code&) {
    ++depth;
    if (depth == 1) top_is_object = true;
    if (items_array && depth == 3) {
      wrapper_keys = 0;
      status.reset();
      status_invalid = has_error = false;
      type.clear();
      reason.clear();
    }
    if (items_array && depth == 5 && key == "error") in_error = has_error = true;
    return true;
  }
  bool on_object_end(std::size_t, error_code& ec) {
    if (in_error && depth == 5) in_error = false;
    --depth;
    if (!items_array || depth != 2) return true;
    // An item ends: keyed by the op type that was sent, one key, with a status.
    const std::size_t index = count++;
    if (wrapper_keys != 1 || !status || status_invalid)
      return fail("bulk item " + std::to_string(index) + " has no status", ec);
    if (*status < 100 || *status > 999)
      return fail("bulk item " + std::to_string(index) + " has an impossible status", ec);
    if (index >= expected) return true;  // counted, not kept: the count is refused at the end
    BulkItem& item = items->emplace_back();
    item.status = static_cast<unsigned>(*status);
    if (has_error) {
      item.error_type = sinks::log_excerpt(type, max_error_type_bytes);
      item.reason = sinks::log_excerpt(reason, max_reason_bytes);
      if (item.error_type.empty()) item.error_type = "unknown_error";
    }
    return true;
  }
  bool on_array_begin(error_code&) {
    ++depth;
    if (depth == 2 && key == "items") items_array = saw_items = true;
    return true;
  }
  bool on_array_end(std::size_t, error_code&) {
    if (depth == 2) items_array = false;
    --depth;
    return true;
  }
  bool on_key(json::string_view s, std::size_t n, error_code& ec) {
    Walker::on_key(s, n, ec);
    if (items_array && depth == 3) ++wrapper_keys;
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t, error_code&) {
    if (!text) {
      if (items_array && depth == 4 && key == "error") {
        has_error = true;
        text = &reason;  // {"error": "text"}
        text_limit = max_reason_bytes;
      } else if (in_error && depth == 5 && (key == "type" || key == "reason")) {
        text = key == "type" ? &type : &reason;
        text_limit = key == "type" ? max_error_type_bytes : max_reason_bytes;
      } else {
        text = &ignored;
        text_limit = 0;
      }
    }
    if (text != &ignored) append_bounded(*text, s, text_limit);
    return true;
  }
  bool on_string(json::string_view s, std::size_t n, error_code& ec) {
    on_string_part(s, n, ec);
    text = nullptr;
    return true;
  }
  bool on_int64(std::int64_t value, json::string_view, error_code&) {
    if (items_array && depth == 4 && key == "status") {
      status = static_cast<std::uint64_t>(std::max<std::int64_t>(value, 0));
    }
    return true;
  }
  bool on_uint64(std::uint64_t value, json::string_view, error_code&) {
    if (items_array && depth == 4 && key == "status") status = value;
    return true;
  }
  bool on_double(double, json::string_view, error_code&) {
    if (items_array && depth == 4 && key == "status") status_invalid = true;
    return true;
  }
  bool on_bool(bool, error_code&) {
    if (items_array && depth == 4 && key == "status") status_invalid = true;
    return true;
  }
  std::string ignored;
};

// An error answer: {"error":{"type":..,"reason":..},"status":..}, {"error":"text"}, or the AWS
// {"Message":..}. Only those strings are kept, each at most `limit` bytes (and one more).
struct ErrorAnswer : Walker {
  std::size_t limit = 0;
  bool error_is_object = false;
  std::string error_text;  // {"error":"..."}
  std::string type;
  std::string reason;
  std::string message;
  std::string* text = nullptr;
  std::string ignored;

  bool on_object_begin(error_code&) {
    ++depth;
    if (depth == 2 && key == "error") error_is_object = true;
    return true;
  }
  bool on_object_end(std::size_t, error_code&) {
    --depth;
    return true;
  }
  bool on_array_begin(error_code&) {
    ++depth;
    return true;
  }
  bool on_array_end(std::size_t, error_code&) {
    --depth;
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t, error_code&) {
    if (!text) {
      text = &ignored;
      if (depth == 1 && key == "error") text = &error_text;
      else if (depth == 1 && (key == "Message" || key == "message")) text = &message;
      else if (depth == 2 && error_is_object && key == "type") text = &type;
      else if (depth == 2 && error_is_object && key == "reason") text = &reason;
    }
    if (text != &ignored) append_bounded(*text, s, limit);
    return true;
  }
  bool on_string(json::string_view s, std::size_t n, error_code& ec) {
    on_string_part(s, n, ec);
    text = nullptr;
    return true;
  }
  bool on_int64(std::int64_t, json::string_view, error_code&) { return true; }
  bool on_uint64(std::uint64_t, json::string_view, error_code&) { return true; }
};

json::parse_options answer_options() {
  json::parse_options options;
  options.max_depth = max_answer_depth;
  return options;
}

}  // namespace

struct BulkAnswerReader::State {
  explicit State(std::size_t expected_items) : parser(answer_options()) {
    items.reserve(expected_items);  // memory in proportion to what we sent, whatever the answer says
    parser.handler().expected = expected_items;
    parser.handler().items = &items;
  }
  std::vector<BulkItem> items;
  json::basic_parser<BulkAnswer> parser;
  error_code ec;
  bool failed = false;
};

BulkAnswerReader::BulkAnswerReader(std::size_t expected_items)
    : state_(std::make_unique<State>(expected_items)) {}
BulkAnswerReader::~BulkAnswerReader() = default;
BulkAnswerReader::BulkAnswerReader(BulkAnswerReader&&) noexcept = default;
BulkAnswerReader& BulkAnswerReader::operator=(BulkAnswerReader&&) noexcept = default;

bool BulkAnswerReader::write(std::string_view piece) {
  State& s = *state_;
  if (s.failed) return false;
  std::size_t used = 0;
  if (!s.parser.done()) used = s.parser.write_some(true, piece.data(), piece.size(), s.ec);
  // After the document only white space may follow.
  const bool extra = !s.ec && piece.substr(used).find_first_not_of(" \t\r\n") != std::string_view::npos;
  if (extra) s.ec = json::error::extra_data;
  s.failed = static_cast<bool>(s.ec);
  return !s.failed;
}

std::optional<std::vector<BulkItem>> BulkAnswerReader::finish(std::string* why) {
  auto fail = [&](std::string text) -> std::optional<std::vector<BulkItem>> {
    if (why) *why = std::move(text);
    return std::nullopt;
  };
  State& s = *state_;
  if (!s.failed && !s.parser.done()) {
    const char none = 0;
    s.parser.write_some(false, &none, 0, s.ec);
    s.failed = s.ec || !s.parser.done();
  }
  const BulkAnswer& answer = s.parser.handler();
  if (s.failed) {
    if (!answer.problem.empty()) return fail(answer.problem);
    return fail("the bulk answer is not JSON: " +
                (s.ec ? s.ec.message() : std::string("it ended half-way")));
  }
  if (!answer.top_is_object || !answer.saw_items)
    return fail("the bulk answer has no \"items\" array");
  if (answer.count != answer.expected)
    return fail("the bulk answer has " + std::to_string(answer.count) + " items for " +
                std::to_string(answer.expected) + " actions");
  return std::move(s.items);
}

std::optional<std::vector<BulkItem>> parse_bulk_response(std::string_view body,
                                                         std::size_t expected_items,
                                                         std::string* why) {
  BulkAnswerReader reader(expected_items);
  reader.write(body);
  return reader.finish(why);
}

std::string error_summary(std::string_view body, std::size_t limit) {
  // An error answer says what it is near its start: a longer body is read no further than this.
  const std::string_view head = body.substr(0, max_error_body_bytes);
  json::basic_parser<ErrorAnswer> parser(answer_options());
  ErrorAnswer& answer = parser.handler();
  answer.limit = limit;
  error_code ec;
  parser.write_some(head.size() < body.size(), head.data(), head.size(), ec);
  if (ec && ec != json::error::incomplete) return sinks::log_excerpt(body, limit);
  std::string text = answer.type;
  if (!answer.reason.empty()) text += (text.empty() ? "" : ": ") + answer.reason;
  for (const std::string* found : {&text, &answer.error_text, &answer.message})
    if (!found->empty()) return sinks::log_excerpt(*found, limit);
  return sinks::log_excerpt(body, limit);
}

}  // namespace ltf::opensearch
