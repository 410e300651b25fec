// The _bulk API's wire format: the NDJSON request body, and what each item's answer means
// (the answers themselves are read in opensearch_answer.cpp).
#include "ltf/opensearch.hpp"

#include "ltf/http_status.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/string_view.hpp>

namespace ltf::opensearch {

namespace json = boost::json;

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

}  // namespace ltf::opensearch
