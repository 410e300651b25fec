// RecordingSink: a destination on loopback that records what arrives (events, function lines,
// duplicates) and fails on demand; its listeners are in recording_sink_listeners.cpp.
#include "recording_sink_recorder.hpp"
#include "util.hpp"

#include "ltf/fake_otlp.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cctype>
#include <functional>

namespace ltf::emulator {

namespace json = boost::json;

namespace recording {

net::Response answer(unsigned status, std::string body) {
  net::Response response{static_cast<net::http::status>(status), 11};
  response.set(net::http::field::content_type, "application/json");
  response.body() = std::move(body);
  return response;
}

}  // namespace recording

using recording::answer;
using recording::max_body_bytes;

namespace {

std::optional<std::string> message_of(const json::value& record) {
  if (!record.is_object()) return std::nullopt;
  const auto* message = record.get_object().if_contains("message");
  if (message && message->is_string()) return std::string(message->get_string());
  return std::nullopt;
}

// The line a function event carries: a string record, or the message of an object record. A
// string that is itself a JSON log object (JSON log format under schema 2022-07-01) counts by
// its message too.
std::optional<std::string> line_of(const json::object& event) {
  const auto* record = event.if_contains("record");
  if (!record) return std::nullopt;
  if (record->is_string()) {
    const auto& text = record->get_string();
    if (!text.empty() && text.front() == '{') {
      boost::system::error_code ec;
      if (auto message = message_of(json::parse(text, ec)); message && !ec) return message;
    }
    return std::string(text);
  }
  return message_of(*record);
}

}  // namespace

unsigned RecordingSink::Recorder::accept_body(const ReceivedRequest& request,
                                          std::size_t& events_recorded) {
  std::optional<net::Inflated> inflated;
  if (request.content_encoding.find("gzip") != std::string::npos) {
    inflated = net::gunzip(request.body, max_body_bytes);
    if (!inflated->ok()) {
      ++invalid;
      return 400;
    }
  }
  const std::string_view text = inflated ? std::string_view(inflated->data) : request.body;
  if (otlp::signal_of_target(request.target)) return accept_otlp(request, text, events_recorded);
  boost::system::error_code ec;
  auto body = json::parse(text, ec);
  bool valid = !ec && body.is_array();
  if (valid)
    for (const auto& event : body.get_array())
      if (!event.is_object() || !event.get_object().contains("type") ||
          !event.get_object().at("type").is_string())
        valid = false;
  if (!valid) {
    ++invalid;
    return 400;
  }
  for (const auto& value : body.get_array()) {
    const auto& event = value.get_object();
    const std::string type(event.at("type").get_string());
    ++by_type[type];
    ++events;
    if (type == "function") {
      if (auto line = line_of(event)) {
        // A resent event is the same JSON; a re-made one (new time, new text) is not, and its
        // event id would differ too.
        count_line(*line, std::hash<std::string>{}(json::serialize(event)), request.at);
      }
    }
  }
  events_recorded = body.get_array().size();
  ++accepted;
  bytes += request.body.size();
  return 200;
}

void RecordingSink::Recorder::count_line(const std::string& line, std::size_t event_hash,
                                         Clock::time_point at) {
  // A resent event is the same JSON; a re-made one (new time, new text) is not, and its
  // event id would differ too.
  if (++line_counts[line] == 1) first_event_of_line[line] = {event_hash, at};
  else if (first_event_of_line[line].event_hash != event_hash) ++altered_duplicates;
  ++lines;
}

std::size_t RecordingSink::Recorder::record(net::Request& request) {
  ++requests;
  ReceivedRequest entry;
  entry.method = std::string(request.method_string());
  entry.target = std::string(request.target());
  entry.content_type = header(request, "Content-Type");
  entry.content_encoding = header(request, "Content-Encoding");
  entry.authorization = header(request, "Authorization");
  entry.sequence_id = header(request, "Sequence-Id");
  entry.body = std::move(request.body());
  entry.at = Clock::now();
  received.push_back(std::move(entry));
  changed->notify();
  return received.size() - 1;
}

asio::awaitable<net::Response> RecordingSink::Recorder::handle(net::Request& request) {
  auto self = shared_from_this();
  if (sigv4) {
    sigv4->now = std::chrono::system_clock::now();
    const auto verdict = sigv4::verify(request, *sigv4);
    if (!verdict) {
      ++refused_signatures;
      const auto index = record(request);
      received[index].status = 403;
      changed->notify();
      auto response = answer(403, json::serialize(json::object{{"message", verdict.reason}}));
      response.set("X-Amzn-ErrorType", verdict.code);
      co_return response;
    }
  }
  for (const auto& [name, value] : required_headers) {
    const auto found = request.find(name);
    if (found != request.end() && found->value() == value) continue;
    ++refused_headers;
    const auto refused = record(request);
    received[refused].status = 401;
    changed->notify();
    co_return answer(401, json::serialize(json::object{
                              {"message", "missing or wrong header " + name}}));
  }
  const auto index = record(request);

  unsigned status = 200;
  switch (fault.kind) {
    case SinkFault::Kind::hang: {
      const auto mine = generation;
      co_await changed->wait_until([&] { return generation != mine; });
      co_return answer(503, "{}");  // never written: the listener is gone
    }
    case SinkFault::Kind::status:
      status = fault.status;
      break;
    case SinkFault::Kind::fail_fraction: {
      const double draw = static_cast<double>(rng() >> 11) * 0x1.0p-53;
      if (draw < fault.fraction) status = 503;
      break;
    }
    case SinkFault::Kind::body_limit:
      if (received[index].body.size() > fault.max_body_bytes) status = 413;
      break;
    default:
      break;
  }
  std::size_t recorded = 0;
  if (status / 100 == 2) status = accept_body(received[index], recorded);
  received[index].status = status;
  received[index].events = recorded;
  changed->notify();
  auto response = answer(status, status / 100 == 2 ? R"({"errors":false})"
                                                   : R"({"error":"rejected by RecordingSink"})");
  // OTLP answers a full success with an empty Export*ServiceResponse, in the request's encoding.
  if (status / 100 == 2 && otlp::signal_of_target(received[index].target)) {
    const bool protobuf = received[index].content_type.find("protobuf") != std::string::npos;
    response.set(net::http::field::content_type, protobuf ? "application/x-protobuf" : "application/json");
    response.body() = protobuf ? "" : "{}";
  }
  if (fault.kind == SinkFault::Kind::status && fault.retry_after)
    response.set(net::http::field::retry_after, std::to_string(fault.retry_after->count()));
  co_return response;
}

// ---------------------------------------------------------------------------------------------

RecordingSink::RecordingSink(asio::any_io_executor executor, std::uint64_t seed)
    : recorder_(std::make_shared<Recorder>(std::move(executor), seed)) {}

RecordingSink::~RecordingSink() { stop(); }

boost::system::error_code RecordingSink::listen(std::uint16_t port) {
  recorder_->port = port;
  // Bound as an HTTP server first so that port 0 becomes a real port the faults keep.
  if (auto ec = recorder_->open(Recorder::Listener::http)) return ec;
  recorder_->listening = true;
  return recorder_->apply_fault();
}

std::uint16_t RecordingSink::port() const { return recorder_->port; }
std::string RecordingSink::url() const {
  return "http://127.0.0.1:" + std::to_string(recorder_->port) + "/";
}

void RecordingSink::stop() {
  recorder_->listening = false;
  recorder_->close();
}

void RecordingSink::set_fault(SinkFault fault) {
  recorder_->fault = fault;
  if (auto ec = recorder_->apply_fault())
    throw boost::system::system_error(ec, "RecordingSink: cannot reopen port " +
                                              std::to_string(recorder_->port));
}

SinkFault RecordingSink::fault() const { return recorder_->fault; }
void RecordingSink::require_sigv4(const sigv4::Expectation& expected) {
  recorder_->sigv4 = expected;
}
std::uint64_t RecordingSink::refused_signatures() const { return recorder_->refused_signatures; }
void RecordingSink::require_header(const std::string& name, const std::string& value) {
  std::string key = name;
  for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (value.empty()) recorder_->required_headers.erase(key);
  else recorder_->required_headers[key] = value;
}
std::uint64_t RecordingSink::refused_headers() const { return recorder_->refused_headers; }
std::uint64_t RecordingSink::requests() const { return recorder_->requests; }
std::uint64_t RecordingSink::accepted_requests() const { return recorder_->accepted; }
std::uint64_t RecordingSink::bytes() const { return recorder_->bytes; }
std::uint64_t RecordingSink::invalid_bodies() const { return recorder_->invalid; }
std::uint64_t RecordingSink::events() const { return recorder_->events; }
std::uint64_t RecordingSink::events_of_type(const std::string& type) const {
  auto it = recorder_->by_type.find(type);
  return it == recorder_->by_type.end() ? 0 : it->second;
}
const std::map<std::string, std::uint64_t>& RecordingSink::events_by_type() const {
  return recorder_->by_type;
}
std::uint64_t RecordingSink::lines() const { return recorder_->lines; }
const OtlpTally& RecordingSink::otlp() const { return recorder_->otlp; }
const std::map<std::string, std::uint64_t>& RecordingSink::line_counts() const {
  return recorder_->line_counts;
}
const std::vector<ReceivedRequest>& RecordingSink::received() const { return recorder_->received; }
std::optional<Clock::time_point> RecordingSink::first_arrival(const std::string& line) const {
  const auto it = recorder_->first_event_of_line.find(line);
  if (it == recorder_->first_event_of_line.end()) return std::nullopt;
  return it->second.at;
}
LineAccounting RecordingSink::account(const std::vector<std::string>& produced) const {
  auto lines = account_lines(produced, recorder_->line_counts);
  lines.altered_duplicates = recorder_->altered_duplicates;
  return lines;
}

asio::awaitable<bool> RecordingSink::wait_until(std::function<bool()> condition,
                                                milliseconds limit) {
  auto changed = recorder_->changed;
  co_return co_await changed->wait_until(std::move(condition), Clock::now() + limit);
}

// The conditions are named before the co_await: GCC 12 destroys a closure temporary inside a
// co_await expression twice, which is fatal for one that owns a shared_ptr.
asio::awaitable<bool> RecordingSink::wait_for_lines(std::uint64_t n, milliseconds limit) {
  auto core = recorder_;
  std::function<bool()> enough = [core, n] { return core->lines >= n; };
  co_return co_await core->changed->wait_until(std::move(enough), Clock::now() + limit);
}

asio::awaitable<bool> RecordingSink::wait_for_requests(std::uint64_t n, milliseconds limit) {
  auto core = recorder_;
  std::function<bool()> enough = [core, n] { return core->requests >= n; };
  co_return co_await core->changed->wait_until(std::move(enough), Clock::now() + limit);
}

}  // namespace ltf::emulator
