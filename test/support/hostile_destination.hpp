#pragma once
// A destination that misbehaves on purpose, for the hostile-peer tests of every client of ours:
// it reads a request, asks `upstream` for the answer a well-behaved server would give (a fixed one,
// or one from RecordingSink or FakeOpenSearch behind it), then sends that answer badly: followed by
// stray bytes, after 1xx answers, with an endless chunked body, a huge one, dripped, cut off, or not
// at all; or it never reads the request. Raw sockets, since misbehaving half-way through an answer
// is what an HTTP server library is built never to do.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace ltf::test {

enum class Misbehaviour {
  none,              // the answer as upstream gave it
  stray_bytes,       // the answer, then a stray "200 OK" answer nobody asked for
  interim_answers,   // 100 Continue and 103 Early Hints before the answer
  endless_chunks,    // the answer's status and body as the first chunk, then chunks without end
  huge_body,         // the answer's status with Content-Length: 300 MB, then the body padded
  drip,              // the answer, one byte per drip interval
  never_read,        // the request is never read: the sender's write blocks once buffers fill
  never_answer,      // the request is read (and passed upstream), no answer ever comes
  close_mid_answer,  // the head and half the body, then the connection closed (FIN)
};
const char* name(Misbehaviour way);
std::vector<Misbehaviour> every_misbehaviour();  // all but none

struct UpstreamAnswer {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
};
using Upstream = std::function<boost::asio::awaitable<UpstreamAnswer>(
    boost::beast::http::request<boost::beast::http::string_body>&)>;

class HostileDestination {
 public:
  HostileDestination(boost::asio::any_io_executor executor, Upstream upstream);
  ~HostileDestination();
  HostileDestination(const HostileDestination&) = delete;
  HostileDestination& operator=(const HostileDestination&) = delete;

  std::uint16_t port() const;
  std::string url() const;  // "http://127.0.0.1:PORT"
  // For requests from now on. Connections held by the previous way (never_read, never_answer)
  // are closed.
  void misbehave(Misbehaviour way);
  Misbehaviour way() const;
  void set_drip_interval(std::chrono::milliseconds interval);
  void stop();

  // Requests that met a misbehaviour (never_read: connections), and for each how long the
  // sender stayed (from its request, or connection, to the sender going away or the answer
  // ending): what the sender's timeout bounds.
  std::uint64_t misbehaved() const;
  std::chrono::milliseconds longest_stay() const;
  // Body bytes sent beyond the real answer (padding, endless chunks).
  std::uint64_t padding_bytes() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace ltf::test
