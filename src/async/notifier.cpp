// Notifier: a timer per waiter, cancelled to wake it; the waiter re-checks its condition.
#include "ltf/notifier.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace ltf::async {

void Notifier::notify() {
  for (auto* timer : waiters_) timer->cancel();
}

boost::asio::awaitable<bool> Notifier::wait_until(std::function<bool()> condition,
                                                  std::chrono::steady_clock::time_point deadline) {
  // Held so that the waiter list outlives a frame destroyed with its io_context.
  auto self = shared_from_this();
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) co_return false;
    // Cancelled from outside (the losing side of `a || b`): stop waiting at once.
    auto state = co_await boost::asio::this_coro::cancellation_state;
    if (state.cancelled() != boost::asio::cancellation_type::none) co_return false;
    boost::asio::steady_timer timer(executor_, deadline);
    auto entry = waiters_.insert(waiters_.end(), &timer);
    struct Unlist {
      std::list<boost::asio::steady_timer*>& list;
      std::list<boost::asio::steady_timer*>::iterator entry;
      ~Unlist() { list.erase(entry); }
    } unlist{waiters_, entry};
    co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  }
  co_return true;
}

}  // namespace ltf::async
