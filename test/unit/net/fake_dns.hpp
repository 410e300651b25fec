#pragma once
// A DNS server for tests: a UDP socket on 127.0.0.1 that answers A queries for the names it is
// given (at once, late, never, or with a failure) and counts what it was asked. AAAA queries get
// "no such record" on the same terms, so a look-up of both families ends with the A answer.

#include "ltf/notifier.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <array>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace ltf::test {

class FakeDns {
 public:
  enum class Mode {
    answer,    // names it knows get their A record, others NXDOMAIN
    late,      // the same, `delay` later
    never,     // every query is dropped
    servfail,  // every query gets SERVFAIL
  };

  explicit FakeDns(boost::asio::io_context& io) : state_(std::make_shared<State>(io)) {
    state_->socket.open(boost::asio::ip::udp::v4());
    state_->socket.bind({boost::asio::ip::make_address("127.0.0.1"), 0});
    boost::asio::co_spawn(io, serve(state_), boost::asio::detached);
  }
  ~FakeDns() {
    boost::system::error_code ignored;
    state_->socket.close(ignored);
  }
  FakeDns(const FakeDns&) = delete;
  FakeDns& operator=(const FakeDns&) = delete;

  // `name` (lower case) now has one A record.
  void set(const std::string& name, const std::string& ipv4, std::uint32_t ttl) {
    state_->records[name] = Record{boost::asio::ip::make_address_v4(ipv4).to_bytes(), ttl};
  }
  void set_mode(Mode mode, std::chrono::milliseconds delay = {}) {
    state_->mode = mode;
    state_->delay = delay;
  }
  // For ResolverOptions::servers.
  std::string servers() const {
    return "127.0.0.1:" + std::to_string(state_->socket.local_endpoint().port());
  }
  // A queries received for `name`, answered or not.
  int a_queries(const std::string& name) const {
    auto it = state_->a_queries.find(name);
    return it == state_->a_queries.end() ? 0 : it->second;
  }
  // Notified on every query received and every answer sent: tests await it.
  async::Notifier& notifier() { return *state_->notifier; }
  int answers_sent() const { return state_->answers_sent; }

 private:
  struct Record {
    boost::asio::ip::address_v4::bytes_type address;
    std::uint32_t ttl;
  };
  struct State {
    explicit State(boost::asio::io_context& io)
        : socket(io), notifier(std::make_shared<async::Notifier>(io.get_executor())) {}
    boost::asio::ip::udp::socket socket;
    std::shared_ptr<async::Notifier> notifier;
    std::map<std::string, Record> records;
    std::map<std::string, int> a_queries;
    Mode mode = Mode::answer;
    std::chrono::milliseconds delay{0};
    int answers_sent = 0;
  };
  using Bytes = std::vector<std::uint8_t>;

  // The answer to `query` (RFC 1035 §4.1), or nothing when it is not a one-question query.
  static Bytes answer(State& s, const Bytes& query, std::size_t size) {
    if (size < 12 || query[4] != 0 || query[5] != 1) return {};
    std::size_t at = 12;
    std::string name;
    while (at < size && query[at] != 0) {
      const std::size_t length = query[at];
      if (at + 1 + length > size) return {};
      if (!name.empty()) name += '.';
      for (std::size_t i = 0; i < length; ++i)
        name += static_cast<char>(std::tolower(query[at + 1 + i]));
      at += 1 + length;
    }
    if (at + 5 > size) return {};
    const int type = query[at + 1] << 8 | query[at + 2];
    const std::size_t question_end = at + 5;
    if (type == 1) ++s.a_queries[name];
    s.notifier->notify();
    if (s.mode == Mode::never) return {};

    Bytes out(query.begin(), query.begin() + static_cast<std::ptrdiff_t>(question_end));
    out[2] = static_cast<std::uint8_t>(0x84 | (query[2] & 0x01));  // answer, authoritative, RD
    out[3] = 0x80;                                                 // RA, NOERROR
    out[6] = out[7] = out[8] = out[9] = out[10] = out[11] = 0;
    const auto record = s.records.find(name);
    if (s.mode == Mode::servfail) {
      out[3] |= 2;
    } else if (record == s.records.end()) {
      out[3] |= 3;  // NXDOMAIN
    } else if (type == 1) {
      out[7] = 1;
      const auto ttl = record->second.ttl;
      const Bytes rr{0xc0, 0x0c, 0, 1, 0, 1,
                     static_cast<std::uint8_t>(ttl >> 24), static_cast<std::uint8_t>(ttl >> 16),
                     static_cast<std::uint8_t>(ttl >> 8), static_cast<std::uint8_t>(ttl), 0, 4};
      out.insert(out.end(), rr.begin(), rr.end());
      out.insert(out.end(), record->second.address.begin(), record->second.address.end());
    }  // AAAA (or anything else) of a known name: NOERROR without records
    return out;
  }

  static boost::asio::awaitable<void> send_later(std::shared_ptr<State> s, Bytes reply,
                                                 boost::asio::ip::udp::endpoint to) {
    boost::asio::steady_timer timer(s->socket.get_executor(), s->delay);
    co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    co_await s->socket.async_send_to(boost::asio::buffer(reply), to,
                                     boost::asio::as_tuple(boost::asio::use_awaitable));
    ++s->answers_sent;
    s->notifier->notify();
  }

  static boost::asio::awaitable<void> serve(std::shared_ptr<State> s) {
    Bytes query(1500);
    for (;;) {
      boost::asio::ip::udp::endpoint from;
      auto [ec, n] = co_await s->socket.async_receive_from(
          boost::asio::buffer(query), from, boost::asio::as_tuple(boost::asio::use_awaitable));
      if (ec) co_return;  // closed
      auto reply = answer(*s, query, n);
      if (reply.empty()) continue;
      if (s->mode == Mode::late) {
        boost::asio::co_spawn(s->socket.get_executor(), send_later(s, std::move(reply), from),
                              boost::asio::detached);
        continue;
      }
      co_await s->socket.async_send_to(boost::asio::buffer(reply), from,
                                       boost::asio::as_tuple(boost::asio::use_awaitable));
      ++s->answers_sent;
      s->notifier->notify();
    }
  }

  std::shared_ptr<State> state_;
};

}  // namespace ltf::test
