// Telemetry delivery to one subscriber: batches that honour maxItems / maxBytes / timeoutMs, one
// POST in flight, retries with backoff, a bounded backlog whose overflow becomes
// platform.logsDropped, and nothing at all while the sandbox is frozen.
#include "log_records.hpp"
#include "managed_instances.hpp"
#include "sandbox.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/json/serialize.hpp>

namespace ltf::emulator {

using namespace boost::asio::experimental::awaitable_operators;

namespace {

struct OutgoingBatch {
  std::string body;
  std::vector<QueuedEvent> events;  // their json moved into body
};

bool is_log(const std::string& type) { return type == "function" || type == "extension"; }

bool over(const FakeLambda::Sandbox& core, const Subscriber& subscriber) {
  return core.delivery_stopped || subscriber.extension->exited || subscriber.extension->killed;
}

bool batch_full(const Subscriber& s) {
  return s.queue.size() >= s.request.max_items || s.queued_bytes >= s.request.max_bytes;
}

// Announces what the backlog had to drop, ahead of what is still queued.
void announce_drops(FakeLambda::Sandbox& core, Subscriber& s) {
  if (s.pending_dropped_records == 0) return;
  auto event = core.platform(
      "platform.logsDropped",
      {{"droppedBytes", s.pending_dropped_bytes},
       {"droppedRecords", s.pending_dropped_records},
       {"reason",
        "Some logs were dropped because the downstream consumer is slower than the logs "
        "production rate"}});
  ++core.report.events_produced[event.type];
  std::string text = json::serialize(
      json::object{{"time", event.time}, {"type", event.type}, {"record", event.record}});
  s.queued_bytes += text.size();
  s.queue.push_front({event.type, std::move(text), {}, Clock::now()});
  s.pending_dropped_records = 0;
  s.pending_dropped_bytes = 0;
}

OutgoingBatch take_batch(FakeLambda::Sandbox& core, Subscriber& s) {
  announce_drops(core, s);
  OutgoingBatch batch;
  batch.body.push_back('[');  // not `= "["`: GCC 12 -O2 misreads that as an overlapping copy
  while (!s.queue.empty() && batch.events.size() < s.request.max_items) {
    auto& next = s.queue.front();
    if (!batch.events.empty() && batch.body.size() + next.json.size() + 1 > s.request.max_bytes)
      break;
    if (!batch.events.empty()) batch.body += ',';
    batch.body += next.json;
    s.queued_bytes -= next.json.size();
    next.json.clear();
    batch.events.push_back(std::move(next));
    s.queue.pop_front();
  }
  batch.body += ']';
  return batch;
}

void record_delivery(FakeLambda::Sandbox& core, Subscriber& s, const OutgoingBatch& batch) {
  const auto now = Clock::now();
  auto& entry = core.report_of(*s.extension);
  for (const auto& event : batch.events) {
    ++core.report.events_delivered[event.type];
    ++entry.events_delivered;
    if (event.type == "platform.runtimeDone") s.runtime_done_arrived[event.request_id] = now;
  }
  core.notify();
}

// Completes when `limit` of unfrozen time has passed (a POST to a frozen listener is not late:
// the real platform is frozen too), or at once when delivery is over.
asio::awaitable<void> give_up_after(std::shared_ptr<FakeLambda::Sandbox> core, Subscriber& s,
                                    milliseconds limit) {
  auto deadline = Clock::now() + limit;
  for (;;) {
    const bool ended = co_await core->changed->wait_until([&] { return over(*core, s); }, deadline);
    if (ended || !core->frozen) co_return;
    if (!co_await core->changed->wait_until([&] { return !core->frozen || over(*core, s); }))
      co_return;  // cancelled: the POST finished first
    deadline = Clock::now() + limit;
  }
}

// One POST; true when the listener answered 2xx.
asio::awaitable<bool> post_once(std::shared_ptr<FakeLambda::Sandbox> core, Subscriber& s,
                                const OutgoingBatch& batch) {
  net::Request request{net::http::verb::post, s.request.target, 11};
  request.set(net::http::field::content_type, "application/json");
  if (core->scenario.managed_instances) request.set("Sequence-Id", sequence_id(batch.body));
  request.body() = batch.body;
  auto client = s.client;
  auto outcome = co_await (client->send(std::move(request), std::nullopt) ||
                           give_up_after(core, s, core->scenario.delivery_timeout));
  if (outcome.index() == 1) {
    client->close();  // the exchange was abandoned half-way
    co_return false;
  }
  const auto& exchange = std::get<0>(outcome);
  co_return exchange.ok() && exchange.response.result_int() / 100 == 2;
}

asio::awaitable<void> send_until_delivered(std::shared_ptr<FakeLambda::Sandbox> core,
                                           Subscriber& s, OutgoingBatch batch) {
  auto& c = *core;
  auto backoff = c.scenario.retry_backoff_initial;
  s.sending = true;
  // Cleared however this ends (delivered, over, or the coroutine destroyed), and told.
  struct Sent {
    FakeLambda::Sandbox& c;
    Subscriber& s;
    ~Sent() {
      s.sending = false;
      c.notify();
    }
  } sent{c, s};
  for (;;) {
    co_await c.changed->wait_until([&] { return !c.frozen || over(c, s); });
    if (over(c, s)) co_return;
    if (co_await post_once(core, s, batch)) {
      record_delivery(c, s, batch);
      co_return;
    }
    ++c.report_of(*s.extension).failed_posts;
    c.notify();
    co_await c.changed->wait_until([&] { return over(c, s); }, Clock::now() + backoff);
    backoff = std::min(backoff * 2, c.scenario.retry_backoff_max);
  }
}

asio::awaitable<void> deliver(std::shared_ptr<FakeLambda::Sandbox> core, Subscriber& s) {
  auto& c = *core;
  for (;;) {
    co_await c.changed->wait_until([&] { return over(c, s) || (!c.frozen && !s.queue.empty()); });
    if (over(c, s)) co_return;
    // The batch window opens with its oldest event; a full batch closes it early.
    const auto due = s.queue.front().queued_at + s.request.timeout;
    co_await c.changed->wait_until(
        [&] { return over(c, s) || c.frozen || batch_full(s) || c.flushing; }, due);
    if (over(c, s)) co_return;
    if (c.frozen) continue;  // resumes at thaw, by then overdue
    co_await send_until_delivered(core, s, take_batch(c, s));
  }
}

}  // namespace

void FakeLambda::Sandbox::enqueue(Subscriber& s, const GeneratedEvent& event) {
  const bool log = is_log(event.type);
  std::string text = json::serialize(json::object{
      {"time", event.time},
      {"type", event.type},
      {"record", record_for_schema(event.type, event.record, s.request.schema_version)}});
  if (log && s.queue.size() >= scenario.subscriber_backlog_events) {
    ++s.pending_dropped_records;
    s.pending_dropped_bytes += text.size();
    ++report.dropped_records;
    ++report_of(*s.extension).dropped_records;
    return;
  }
  s.queued_bytes += text.size();
  s.queue.push_back({event.type, std::move(text), event.request_id, Clock::now()});
}

void FakeLambda::Sandbox::start_delivery(Subscriber& subscriber) {
  asio::co_spawn(executor, deliver(shared_from_this(), subscriber), asio::detached);
}

}  // namespace ltf::emulator
