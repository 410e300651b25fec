#pragma once
// RecordingSink: a local HTTP destination (on loopback, on the caller's io_context) that records
// what an extension delivered, accounts its function lines against what was produced, and can be
// told to fail in the ways real endpoints fail, or to require SigV4.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ltf::emulator {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace sigv4 {
struct Expectation;  // ltf/fake_aws.hpp
}

// Function lines compared with what the emulator produced.
struct LineAccounting {
  std::uint64_t produced = 0;
  std::uint64_t received = 0;    // every arrival, duplicates included
  std::uint64_t lost = 0;        // produced, never received
  std::uint64_t duplicated = 0;  // arrivals beyond the first of a produced line
  std::uint64_t unexpected = 0;  // arrivals of lines never produced
  std::uint64_t unexpected_distinct = 0;  // distinct lines among those (e.g. an earlier run's
                                          // lines, delivered late by its successor)
  // Duplicates that are not the same event as their line's first arrival (the event's JSON
  // differs, so its event id would too): a backend could not drop them. Only
  // RecordingSink::account() knows the events; account_lines() leaves it 0.
  std::uint64_t altered_duplicates = 0;
};
LineAccounting account_lines(const std::vector<std::string>& produced,
                             const std::map<std::string, std::uint64_t>& received_counts);

struct SinkFault {
  enum class Kind { ok, refuse, status, hang, garbage, fail_fraction, reset, drip, body_limit };
  Kind kind = Kind::ok;
  unsigned status = 503;   // for Kind::status
  double fraction = 0.0;   // for Kind::fail_fraction: answer 503 to this share of requests
  std::optional<std::chrono::seconds> retry_after{};  // for Kind::status: sent as Retry-After
  milliseconds drip_interval{100};  // for Kind::drip: one byte of the answer per interval
  std::size_t max_body_bytes = 0;   // for Kind::body_limit

  static SinkFault ok() { return {}; }
  static SinkFault refuse() { return {Kind::refuse}; }               // connection refused
  static SinkFault status_code(unsigned s) { return {Kind::status, s}; }
  static SinkFault hang() { return {Kind::hang}; }                   // accept, never answer
  static SinkFault garbage() { return {Kind::garbage}; }             // non-HTTP bytes, close
  static SinkFault fail_fraction(double p) { return {Kind::fail_fraction, 503, p}; }
  // 429 with `Retry-After: <seconds>`, as a throttling endpoint answers.
  static SinkFault throttled(std::chrono::seconds retry_after) {
    SinkFault fault{Kind::status, 429};
    fault.retry_after = retry_after;
    return fault;
  }
  // Reads the request and records its events, then sends part of the answer's head and resets
  // the connection (RST): the batch arrived, but the sender cannot know it did.
  static SinkFault reset() { return {Kind::reset}; }
  // Records the request, then sends its 200 one byte per `interval`: slower than any sender's
  // timeout, so the batch arrived but the sender gives up on the answer.
  static SinkFault drip(milliseconds interval) {
    SinkFault fault{Kind::drip};
    fault.drip_interval = interval;
    return fault;
  }
  // A server's body size limit (nginx's client_max_body_size): bodies larger than `bytes` as
  // received (compressed, if they were) are answered 413 and not recorded; others are.
  static SinkFault body_limit(std::size_t bytes) {
    SinkFault fault{Kind::body_limit};
    fault.max_body_bytes = bytes;
    return fault;
  }
};

// What arrived over OTLP/HTTP (requests to .../v1/logs, /v1/metrics, /v1/traces, protobuf or
// JSON): LogRecords also count as events (by their aws.lambda.event.type attribute) and function
// lines, as the JSON array's events do.
struct OtlpTally {
  std::uint64_t requests = 0;     // accepted OTLP requests
  std::uint64_t protobuf = 0;     // of which protobuf
  std::uint64_t log_records = 0;
  std::map<std::string, std::uint64_t> data_points;  // by metric name
  std::map<std::string, std::uint64_t> spans;        // by span name
  std::uint64_t server_spans = 0;                     // SPAN_KIND_SERVER: one per invocation
  std::uint64_t orphan_spans = 0;  // children whose parent span never arrived (checked at the end)
  std::map<std::string, std::string> resource;  // the last resource's attributes, as text
  std::uint64_t resources_without_service_name = 0;
};

struct ReceivedRequest {
  std::string method;
  std::string target;
  std::string content_type;
  std::string content_encoding;
  std::string authorization;  // the Authorization header, as received (a fake's test token)
  std::string sequence_id;  // its Sequence-Id header (Lambda Managed Instances' telemetry POSTs)
  std::string body;      // as received (still gzip-compressed if it was)
  unsigned status = 0;   // what the sink answered (0: it never answered)
  std::size_t events = 0;  // telemetry events recorded from it (only for 2xx answers)
  Clock::time_point at{};  // when it had been read
  // reset/drip: recorded and answered 2xx, but the answer was cut off (reset) or not yet
  // complete when the sender went away (drip): the sender cannot know the batch arrived.
  bool cut_short = false;
};

class RecordingSink {
 public:
  explicit RecordingSink(boost::asio::any_io_executor executor, std::uint64_t seed = 1);
  ~RecordingSink();
  RecordingSink(const RecordingSink&) = delete;
  RecordingSink& operator=(const RecordingSink&) = delete;

  // Listens on 127.0.0.1:port (0 = any free port); the port is kept across refuse/ok switches.
  boost::system::error_code listen(std::uint16_t port = 0);
  std::uint16_t port() const;
  std::string url() const;  // "http://127.0.0.1:PORT/"
  void stop();

  // Switchable at any time; applies to requests that arrive from now on.
  void set_fault(SinkFault fault);
  SinkFault fault() const;
  // From now on, a request not SigV4-signed as `expected` says (its `now` is ignored: each is
  // checked against the clock) is answered 403 with X-Amzn-ErrorType and records nothing.
  void require_sigv4(const sigv4::Expectation& expected);
  std::uint64_t refused_signatures() const;
  // From now on, a request whose header `name` (case-insensitive) is not exactly `value` is
  // answered 401 and records nothing, as an intake with a token does; an empty `value` lifts the
  // requirement. Several names may be required at once.
  void require_header(const std::string& name, const std::string& value);
  std::uint64_t refused_headers() const;  // requests answered 401 for a missing or wrong header

  // What arrived. Events are recorded only from requests answered 2xx (or meant to be, when a
  // reset or drip fault kept the answer from the sender): a refused batch is the sender's to
  // retry. Bodies may be gzip (Content-Encoding) and must be JSON arrays of events.
  // A function event's line is its string record, or the `message` of an object record (or of a
  // string record that is a JSON object, as JSON log format gives under schema 2022-07-01).
  std::uint64_t requests() const;           // every request read, whatever the answer
  std::uint64_t accepted_requests() const;  // answered 2xx
  std::uint64_t bytes() const;              // body bytes of accepted requests, as received
  std::uint64_t invalid_bodies() const;     // not a JSON array of events (answered 400)
  std::uint64_t events() const;
  std::uint64_t events_of_type(const std::string& type) const;
  const std::map<std::string, std::uint64_t>& events_by_type() const;
  const OtlpTally& otlp() const;
  std::uint64_t lines() const;  // function lines received, duplicates included
  const std::map<std::string, std::uint64_t>& line_counts() const;
  const std::vector<ReceivedRequest>& received() const;  // every request, in arrival order
  // When the request that first carried `line` was read; nullopt if it never arrived.
  std::optional<Clock::time_point> first_arrival(const std::string& line) const;
  // account_lines() over what arrived, plus the duplicates that were not the same event.
  LineAccounting account(const std::vector<std::string>& produced) const;

  // Resume when the condition holds; re-checked after every request. False if `limit` passed.
  boost::asio::awaitable<bool> wait_until(std::function<bool()> condition,
                                          milliseconds limit = milliseconds(30000));
  boost::asio::awaitable<bool> wait_for_lines(std::uint64_t n,
                                              milliseconds limit = milliseconds(30000));
  boost::asio::awaitable<bool> wait_for_requests(std::uint64_t n,
                                                 milliseconds limit = milliseconds(30000));

  struct Recorder;  // defined in src/emulator/recording_sink_recorder.hpp

 private:
  std::shared_ptr<Recorder> recorder_;
};

}  // namespace ltf::emulator
