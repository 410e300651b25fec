// The _bulk API's wire format: the NDJSON request body and the answer's items.
#include "ltf/opensearch.hpp"

#include "ltf/http_status.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>

namespace ltf::opensearch {

namespace json = boost::json;

namespace {

std::string_view string_at(const json::object& object, std::string_view key) {
  const json::value* v = object.if_contains(key);
  const json::string* s = v ? v->if_string() : nullptr;
  return s ? std::string_view(*s) : std::string_view();
}

}  // namespace

std::string bulk_body(std::span<const BulkAction> actions, OpType op) {
  const std::string_view op_name = op == OpType::create ? "create" : "index";
  std::size_t size = 0;
  for (const auto& action : actions)
    size += action.source.size() + action.index.size() + action.id.size() + 40;
  std::string body;
  body.reserve(size);
  for (const auto& action : actions) {
    // Names and ids are serialised as JSON strings: whatever they hold, the line stays one object.
    body += "{\"";
    body += op_name;
    body += "\":{\"_index\":";
    body += json::serialize(json::string_view(action.index));
    if (!action.id.empty()) {
      body += ",\"_id\":";
      body += json::serialize(json::string_view(action.id));
    }
    body += "}}\n";
    body += action.source;
    body += '\n';
  }
  return body;
}

std::optional<std::vector<BulkItem>> parse_bulk_response(std::string_view body,
                                                         std::size_t expected_items,
                                                         std::string* why) {
  auto fail = [&](std::string text) -> std::optional<std::vector<BulkItem>> {
    if (why) *why = std::move(text);
    return std::nullopt;
  };
  boost::system::error_code ec;
  const json::value parsed = json::parse(body, ec);
  if (ec) return fail("the bulk answer is not JSON: " + ec.message());
  const json::object* top = parsed.if_object();
  const json::value* items_value = top ? top->if_contains("items") : nullptr;
  const json::array* items = items_value ? items_value->if_array() : nullptr;
  if (!items) return fail("the bulk answer has no \"items\" array");
  if (items->size() != expected_items)
    return fail("the bulk answer has " + std::to_string(items->size()) + " items for " +
                std::to_string(expected_items) + " actions");

  std::vector<BulkItem> out;
  out.reserve(items->size());
  for (const json::value& entry : *items) {
    // {"<op type>": {"status": N, "error": {...}, ...}}: keyed by the op type that was sent.
    const json::object* wrapper = entry.if_object();
    const json::object* result =
        wrapper && wrapper->size() == 1 ? wrapper->begin()->value().if_object() : nullptr;
    const json::value* status = result ? result->if_contains("status") : nullptr;
    if (!status || !(status->is_int64() || status->is_uint64()))
      return fail("bulk item " + std::to_string(out.size()) + " has no status");
    BulkItem& item = out.emplace_back();
    const std::uint64_t code = status->is_int64()
                                   ? static_cast<std::uint64_t>(std::max<std::int64_t>(status->get_int64(), 0))
                                   : status->get_uint64();
    if (code < 100 || code > 999)
      return fail("bulk item " + std::to_string(out.size() - 1) + " has an impossible status");
    item.status = static_cast<unsigned>(code);
    if (const json::value* error = result->if_contains("error")) {
      if (const json::object* cause = error->if_object()) {
        item.error_type = string_at(*cause, "type");
        item.reason = sinks::log_excerpt(string_at(*cause, "reason"), max_reason_bytes);
      } else if (const json::string* text = error->if_string()) {
        item.reason = sinks::log_excerpt(*text, max_reason_bytes);
      }
      if (item.error_type.empty()) item.error_type = "unknown_error";
    }
  }
  return out;
}

ItemFate fate_of(const BulkItem& item) {
  const unsigned status = item.status;
  // create with our deterministic id found it already there: an earlier attempt stored it.
  if (status == 409) return ItemFate::stored;
  switch (net::meaning_of_status(status)) {
    case net::StatusMeaning::success: return ItemFate::stored;
    case net::StatusMeaning::retry: return ItemFate::retry;
    default: break;
  }
  if (status == 404 && item.error_type == "index_not_found_exception")
    return ItemFate::missing_index;
  // Read-only or flood-stage indices: the operator has to act; keep the events and back off.
  if (status == 403 && item.error_type == "cluster_block_exception") return ItemFate::retry;
  return ItemFate::dead_letter;
}

std::string error_summary(std::string_view body, std::size_t limit) {
  boost::system::error_code ec;
  const json::value parsed = json::parse(body, ec);
  const json::object* top = ec ? nullptr : parsed.if_object();
  if (top) {
    if (const json::value* error = top->if_contains("error")) {
      if (const json::object* cause = error->if_object()) {
        std::string text(string_at(*cause, "type"));
        const std::string_view reason = string_at(*cause, "reason");
        if (!reason.empty()) text += (text.empty() ? "" : ": ") + std::string(reason);
        if (!text.empty()) return sinks::log_excerpt(text, limit);
      } else if (const json::string* text = error->if_string()) {
        return sinks::log_excerpt(*text, limit);
      }
    }
    // Amazon OpenSearch Service's own refusals (413, 403 of IAM): {"Message": "..."}.
    for (std::string_view key : {"Message", "message"})
      if (const std::string_view text = string_at(*top, key); !text.empty())
        return sinks::log_excerpt(text, limit);
  }
  return sinks::log_excerpt(body, limit);
}

}  // namespace ltf::opensearch
