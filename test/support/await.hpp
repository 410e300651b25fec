#pragma once
// Runs a coroutine on a test's io_context to completion, failing the test (instead of hanging)
// when it has not finished within a generous limit. The limit is a safety net, never a wait.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <exception>
#include <optional>
#include <stdexcept>

namespace ltf::test {

template <typename T>
T run_until_done(boost::asio::io_context& io, boost::asio::awaitable<T> work,
                 std::chrono::seconds limit = std::chrono::seconds(60)) {
  std::optional<T> result;
  std::exception_ptr error;
  bool done = false;
  boost::asio::co_spawn(io, std::move(work), [&](std::exception_ptr e, T value) {
    error = e;
    if (!e) result.emplace(std::move(value));
    done = true;
  });
  io.restart();
  const auto give_up = std::chrono::steady_clock::now() + limit;
  while (!done && std::chrono::steady_clock::now() < give_up) {
    if (io.run_one_for(std::chrono::milliseconds(100)) == 0 && io.stopped()) io.restart();
  }
  if (!done) throw std::runtime_error("test coroutine did not finish within the safety limit");
  if (error) std::rethrow_exception(error);
  return std::move(*result);
}

inline void run_until_done(boost::asio::io_context& io, boost::asio::awaitable<void> work,
                           std::chrono::seconds limit = std::chrono::seconds(60)) {
  auto wrapped = [](boost::asio::awaitable<void> w) -> boost::asio::awaitable<bool> {
    co_await std::move(w);
    co_return true;
  };
  run_until_done<bool>(io, wrapped(std::move(work)), limit);
}

}  // namespace ltf::test
