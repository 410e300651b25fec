#pragma once
// The one way coroutines on our single thread hand work to each other: a broadcast "something
// changed" signal. Any number of waiters each re-check their own condition after every notify(),
// so no state is handed over through the signal and no wake-up is lost. Used by the dispatcher,
// the invocation tracker, the resolver and the emulator alike.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <list>
#include <memory>

namespace ltf::async {

class Notifier : public std::enable_shared_from_this<Notifier> {
 public:
  explicit Notifier(boost::asio::any_io_executor executor) : executor_(std::move(executor)) {}

  void notify();
  // Resumes once `condition` holds (true) or `deadline` passed first (false).
  boost::asio::awaitable<bool> wait_until(
      std::function<bool()> condition,
      std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max());

 private:
  boost::asio::any_io_executor executor_;
  std::list<boost::asio::steady_timer*> waiters_;
};

}  // namespace ltf::async
