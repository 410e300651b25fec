// InvocationTracker's estimate of how many events Lambda still holds for the extension, which
// decides whether periodic flushing catches up (FlushPolicy).
#include "forwarder/invocation_tracker.hpp"

#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using ltf::forwarder::InvocationTracker;
using ltf::telemetry::Event;

Event event(std::string type, std::string request_id = {}) {
  Event e;
  e.type = std::move(type);
  e.request_id = std::move(request_id);
  return e;
}

// One invocation's telemetry as Lambda sends it: platform.start, `lines` log lines, runtimeDone.
std::vector<Event> invocation(const std::string& id, int lines) {
  std::vector<Event> out{event("platform.start", id)};
  for (int i = 0; i < lines; ++i) out.push_back(event("function"));
  out.push_back(event("platform.runtimeDone", id));
  return out;
}

std::string id(int n) { return "request-" + std::to_string(n); }

TEST(InvocationTracker, NoEstimateBeforeAnyInvocationsTelemetryArrived) {
  boost::asio::io_context io;
  InvocationTracker tracker(io.get_executor());
  for (int i = 0; i < 5; ++i) tracker.invoked(id(i));
  EXPECT_EQ(tracker.behind(), id(1));
  EXPECT_EQ(tracker.lagging_events(), 0u) << "nothing yet says how large an invocation is";
}

TEST(InvocationTracker, LaggingEventsAreTheInvocationsBehindTimesTheirRecentSize) {
  boost::asio::io_context io;
  InvocationTracker tracker(io.get_executor());
  for (int i = 0; i < 5; ++i) tracker.invoked(id(i));
  tracker.observe(invocation(id(0), 98));  // 100 events each
  tracker.observe(invocation(id(1), 98));
  EXPECT_EQ(tracker.lagging_events(), 300u) << "5 INVOKEs, 2 runtimeDones";
  EXPECT_FALSE(tracker.behind()) << "the runtimeDone 3 INVOKEs back (request-1) is in";
  tracker.invoked(id(5));
  EXPECT_EQ(tracker.behind(), id(2));
  EXPECT_EQ(tracker.lagging_events(), 400u);
  for (int i = 2; i < 6; ++i) tracker.observe(invocation(id(i), 98));
  EXPECT_FALSE(tracker.behind());
  EXPECT_EQ(tracker.lagging_events(), 0u) << "caught up";
}

TEST(InvocationTracker, TheEstimateFollowsTheFunctionWhenItsInvocationsShrink) {
  boost::asio::io_context io;
  InvocationTracker tracker(io.get_executor());
  int n = 0;
  for (; n < 64; ++n) {
    tracker.invoked(id(n));
    tracker.observe(invocation(id(n), 1000));
  }
  for (; n < 64 + 256; ++n) {
    tracker.invoked(id(n));
    tracker.observe(invocation(id(n), 10));  // 12 events each
  }
  tracker.invoked(id(n));
  EXPECT_LT(tracker.lagging_events(), 100u)
      << "one invocation behind, estimated from recent invocations rather than all";
  EXPECT_GE(tracker.lagging_events(), 12u);
}

}  // namespace
