#pragma once
// A hostile client for HttpServer's tests: raw sockets that send what the test says (half a
// header, a stalled body, nothing at all), plus peak-RSS and CPU figures of this process.

#include "ltf/net.hpp"
#include "support/peak_rss.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <array>
#include <chrono>
#include <optional>
#include <string>

namespace ltf::test {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
inline constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

inline tcp::endpoint loopback(std::uint16_t port) {
  return {asio::ip::make_address("127.0.0.1"), port};
}

inline std::string post_text(std::string_view body, std::string_view extra_headers = {}) {
  return "POST /in HTTP/1.1\r\nHost: test\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n" + std::string(extra_headers) + "\r\n" + std::string(body);
}

inline asio::awaitable<tcp::socket> connect(std::uint16_t port) {
  tcp::socket socket(co_await asio::this_coro::executor);
  co_await socket.async_connect(loopback(port), asio::use_awaitable);
  co_return socket;
}

// Sends `text`; false when the server has closed the connection.
inline asio::awaitable<bool> send_text(tcp::socket& socket, std::string_view text) {
  auto [ec, n] = co_await asio::async_write(socket, asio::buffer(text), use_tuple);
  co_return !ec;
}

// The next answer on the connection, or nullopt when the server closed it instead.
inline asio::awaitable<std::optional<net::Response>> read_answer(tcp::socket& socket,
                                                                 boost::beast::flat_buffer& buffer) {
  net::Response response;
  auto [ec, n] = co_await http::async_read(socket, buffer, response, use_tuple);
  if (ec) co_return std::nullopt;
  co_return response;
}

// Resumes when the server closes the connection (end of stream or reset); how long that took.
inline asio::awaitable<std::chrono::steady_clock::duration> closed_by_server(tcp::socket& socket) {
  const auto start = std::chrono::steady_clock::now();
  std::array<char, 4096> sink{};
  for (;;) {
    auto [ec, n] = co_await socket.async_read_some(asio::buffer(sink), use_tuple);
    if (ec) break;
  }
  co_return std::chrono::steady_clock::now() - start;
}

// CPU time (user + system) this process used so far.
inline std::chrono::microseconds cpu_time() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto us = [](const timeval& t) { return std::chrono::seconds(t.tv_sec) +
                                          std::chrono::microseconds(t.tv_usec); };
  return std::chrono::duration_cast<std::chrono::microseconds>(us(usage.ru_utime) +
                                                               us(usage.ru_stime));
}

}  // namespace ltf::test
