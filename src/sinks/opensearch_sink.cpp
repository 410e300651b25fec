// The OpenSearch sink: a batch becomes one _bulk request (halved while the cluster answers 413),
// and every item of the answer decides that event's fate.
#include "ltf/opensearch.hpp"

#include "ltf/http_status.hpp"
#include "ltf/log.hpp"

#include <boost/beast/http/field.hpp>

#include <chrono>
#include <cstdio>
#include <map>

namespace ltf::opensearch {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using sinks::Delivery;
using sinks::Outcome;

namespace {

constexpr std::string_view bulk_path = "/_bulk";
constexpr std::string_view ndjson = "application/x-ndjson";
// Only what the item walk reads: a big batch's answer shrinks from ~250 to ~25 bytes per item.
constexpr std::string_view filtered_answer =
    "filter_path=errors,items.*.status,items.*.error.type,items.*.error.reason";


// True the first time `kind` is seen, while fewer than max_reported_kinds are remembered.
bool first_report(std::set<std::string, std::less<>>& reported, std::string kind) {
  if (reported.size() >= max_reported_kinds) return false;
  return reported.insert(std::move(kind)).second;
}

Delivery retry_later(unsigned status, std::string detail) {
  Delivery delivery;
  delivery.outcome = Outcome::retry_later;
  delivery.status = status;
  delivery.detail = std::move(detail);
  return delivery;
}

}  // namespace

struct OpenSearchSink::Prepared {
  std::vector<BulkAction> actions;
  std::vector<std::size_t> event_of;  // action -> its event's index in the batch
  std::vector<std::size_t> invalid;   // events that cannot become documents at all
  std::vector<Refusal> invalid_refusals;
};

OpenSearchSink::OpenSearchSink(asio::any_io_executor executor, TransportOptions transport,
                               SinkOptions options)
    : transport_(std::move(executor), std::move(transport)), options_(std::move(options)) {
  templates_ = data_templates(options_.indices, options_.data_streams);
  if (!options_.dead_letter_index.empty())
    templates_.push_back(dead_letter_template(options_.dead_letter_index));
  templates_done_.assign(templates_.size(), false);
}

std::string OpenSearchSink::describe() const { return "OpenSearch at " + transport_.describe(); }

asio::awaitable<Delivery> OpenSearchSink::deliver(std::span<const Event> batch) {
  if (batch.empty()) co_return Delivery{Outcome::delivered, 0, {}, {}};
  bool bootstrap_refused = false;
  if (options_.bootstrap && !bootstrap_done_) {
    Delivery failure;
    const Bootstrap state = co_await bootstrap(failure);
    if (state == Bootstrap::failed) co_return failure;
    bootstrap_refused = state == Bootstrap::refused;
    if (bootstrap_refused) transport_.refused();
  }

  bulk_accepted_ = false;
  const sinks::SendBatch send = [this](std::span<const Event> events) {
    return send_bulk(events);
  };
  Delivery delivery = co_await sinks::deliver_splitting_when_too_large(batch, send);

  if (bootstrap_refused && bulk_accepted_) {
    // Documents are welcome but templates and indices are not ours to make: a role with write
    // permissions only. Not worth asking again on every delivery.
    bootstrap_done_ = true;
    LTF_LOG(warning) << "OpenSearch accepts documents but refused to install index templates or "
                        "create indices (HTTP 401/403): indices are created with the cluster's "
                        "dynamic mapping. Allow the templates (indices:admin/index_template/put, "
                        "indices:admin/create) or install them yourself (docs/opensearch.md)";
  }
  co_return delivery;
}

asio::awaitable<Delivery> OpenSearchSink::send_bulk(std::span<const Event> batch) {
  Prepared prepared;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const Event& event = batch[i];
    const std::string& pattern = options_.indices.for_category(event.category());
    auto index = index_name(pattern, event.time);
    if (!index) {
      prepared.invalid.push_back(i);
      prepared.invalid_refusals.push_back(
          {pattern, 0, "invalid_event",
           "the event's time is not an RFC 3339 timestamp, which the index name needs"});
      continue;
    }
    std::string why;
    auto source = document_source(event, options_.function, &why);
    if (!source) {
      prepared.invalid.push_back(i);
      prepared.invalid_refusals.push_back({std::move(*index), 0, "invalid_event", std::move(why)});
      continue;
    }
    prepared.actions.push_back(
        {std::move(*index), options_.document_ids ? event.id : std::string(), std::move(*source)});
    prepared.event_of.push_back(i);
  }

  Delivery delivery;
  std::vector<std::size_t> dead = prepared.invalid;
  std::vector<Refusal> refusals = prepared.invalid_refusals;
  if (!prepared.actions.empty()) {
    // Data streams take create only; without ids a create would be refused for no _id nowhere
    // else, so index is used (a resend may then duplicate: the event id stays in the document).
    const OpType op =
        options_.document_ids || options_.data_streams ? OpType::create : OpType::index;
    const std::string_view query = options_.filter_response ? filtered_answer : std::string_view();
    std::string body = bulk_body(prepared.actions, op);
    ++stats_.bulk_requests;
    const Reply reply =
        co_await transport_.send(http::verb::post, bulk_path, query, std::move(body), ndjson,
                                 options_.gzip, prepared.actions.size());
    if (!reply.sent()) co_return retry_later(0, reply.problem);
    if (!reply.exchange.ok()) co_return retry_later(0, reply.exchange.error.message());

    const net::Response& response = reply.exchange.response;
    const unsigned status = response.result_int();
    delivery.status = status;
    switch (net::meaning_of_status(status)) {
      case net::StatusMeaning::too_large:
        // deliver_splitting_when_too_large halves the batch; a single event that is still too
        // large is dropped and counted.
        delivery.outcome = Outcome::rejected;
        delivery.detail = error_summary(response.body());
        co_return delivery;
      case net::StatusMeaning::reauthenticate:
        transport_.refused();
        co_return retry_later(status, "credentials refused: " + error_summary(response.body()));
      case net::StatusMeaning::retry:
        delivery = retry_later(status, error_summary(response.body()));
        if (auto header = response.find(http::field::retry_after); header != response.end())
          delivery.retry_after =
              sinks::parse_retry_after(header->value(), std::chrono::system_clock::now());
        co_return delivery;
      case net::StatusMeaning::refused:
        // The request itself is refused (malformed, wrong path, bad Content-Type): a bug or a
        // misconfiguration, not something these events can fix by waiting.
        delivery.outcome = Outcome::rejected;
        delivery.detail = error_summary(response.body());
        co_return delivery;
      case net::StatusMeaning::success: break;
    }

    transport_.accepted();
    bulk_accepted_ = true;
    const auto& items = reply.items;
    if (!items) co_return retry_later(status, reply.items_problem);

    std::map<std::string, std::vector<std::size_t>> missing;  // index -> its actions
    std::string retry_type;
    for (std::size_t k = 0; k < items->size(); ++k) {
      const BulkItem& item = (*items)[k];
      const std::size_t event = prepared.event_of[k];
      switch (fate_of(item)) {
        case ItemFate::stored:
          ++(item.status == 409 ? stats_.duplicates : stats_.stored);
          break;
        case ItemFate::retry:
          ++stats_.retried_items;
          delivery.retry.push_back(event);
          if (retry_type.empty()) retry_type = item.error_type + " (" + std::to_string(item.status) + ")";
          break;
        case ItemFate::missing_index:
          missing[prepared.actions[k].index].push_back(k);
          break;
        case ItemFate::dead_letter:
          dead.push_back(event);
          refusals.push_back({prepared.actions[k].index, item.status, item.error_type, item.reason});
          break;
      }
    }
    for (auto it = missing.begin(); it != missing.end(); ++it) {
      const bool created = co_await create_index(it->first);
      for (const std::size_t k : it->second) {
        if (created) {
          delivery.retry.push_back(prepared.event_of[k]);
          continue;
        }
        const BulkItem& item = (*items)[k];
        dead.push_back(prepared.event_of[k]);
        refusals.push_back({it->first, item.status, item.error_type, item.reason});
      }
    }
    if (!delivery.retry.empty())
      delivery.detail = std::to_string(delivery.retry.size()) + " items to send again" +
                        (retry_type.empty() ? "" : ", first: " + retry_type);
  }

  if (!dead.empty()) co_await dead_letter(batch, dead, refusals);
  delivery.refused = std::move(dead);
  delivery.outcome = delivery.retry.empty() ? Outcome::delivered : Outcome::retry_later;
  co_return delivery;
}

void OpenSearchSink::note_refusal(const Refusal& refusal) {
  if (!first_report(reported_, "refused:" + refusal.error_type)) return;
  // Never the reason itself: OpenSearch quotes a preview of the offending value in it.
  std::string what = refusal.error_type;
  if (refusal.status != 0) what += ", HTTP " + std::to_string(refusal.status);
  what += ", index " + refusal.index;
  const std::string fate =
      options_.dead_letter_index.empty()
          ? "they are dropped (no dead-letter index configured)"
          : "they go to the dead-letter index " + options_.dead_letter_index + " with the reason";
  const bool custom_ids_refused =
      refusal.reason.find("Document ID is not supported") != std::string::npos;
  LTF_LOG(warning) << "OpenSearch refused events for good (" << what << "): " << fate
                   << (custom_ids_refused ? "; this Serverless collection refuses custom ids: "
                                            "set LTF_OPENSEARCH_ID_MODE=none"
                                          : "")
                   << ". Later refusals of this kind are only counted";
}

asio::awaitable<void> OpenSearchSink::dead_letter(std::span<const Event> batch,
                                                  const std::vector<std::size_t>& events,
                                                  const std::vector<Refusal>& refusals) {
  for (const auto& refusal : refusals) note_refusal(refusal);
  if (options_.dead_letter_index.empty()) co_return;

  const std::string now = telemetry::format_event_time(std::chrono::system_clock::now());
  std::vector<BulkAction> actions;
  actions.reserve(events.size());
  for (std::size_t i = 0; i < events.size(); ++i) {
    const Event& event = batch[events[i]];
    actions.push_back({options_.dead_letter_index,
                       options_.document_ids ? event.id : std::string(),
                       dead_letter_source(event, options_.function, refusals[i], now)});
  }
  const OpType op = options_.document_ids ? OpType::create : OpType::index;
  const std::string_view query = options_.filter_response ? filtered_answer : std::string_view();
  std::string body = bulk_body(actions, op);
  const Reply reply = co_await transport_.send(http::verb::post, bulk_path, query,
                                               std::move(body), ndjson, options_.gzip,
                                               actions.size());

  // Whatever goes wrong here is counted and told once; never with the events' content.
  auto failed = [&](std::uint64_t count, const std::string& why) {
    stats_.dead_letter_failures += count;
    if (first_report(reported_, "dead-letter:" + why))
      LTF_LOG(warning) << "the dead-letter index " << options_.dead_letter_index << " did not take "
                       << count << " refused events (" << why
                       << "): they are dropped; later failures are only counted";
  };
  std::string why;
  if (!reply.sent()) why = reply.problem;
  else if (!reply.exchange.ok()) why = reply.exchange.error.message();
  else if (net::meaning_of_status(reply.status()) != net::StatusMeaning::success)
    why = "HTTP " + std::to_string(reply.status());
  if (why.empty() && !reply.items) why = reply.items_problem;
  if (!why.empty()) {
    failed(actions.size(), why);
    co_return;
  }
  for (const BulkItem& item : *reply.items) {
    if (fate_of(item) == ItemFate::stored) ++stats_.dead_lettered;
    else failed(1, item.error_type + ", HTTP " + std::to_string(item.status));
  }
}

}  // namespace ltf::opensearch
