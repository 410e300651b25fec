// IntakePolicy and DrainPolicy with a fake clock: each state gives one decision.
#include "ltf/policies.hpp"

#include <gtest/gtest.h>

namespace {

using ltf::pipeline::Clock;
using ltf::pipeline::DrainPolicy;
using ltf::pipeline::DrainStep;
using ltf::pipeline::IntakeAction;
using ltf::pipeline::IntakePolicy;
using namespace std::chrono_literals;

const Clock::time_point t0{std::chrono::hours(1)};

TEST(IntakePolicy, KeepsEventsInMemoryWhileTheDestinationIsFine) {
  IntakePolicy policy(1000, 10'000);
  EXPECT_EQ(policy.on_events({false, true, 10, false}), IntakeAction::keep);
}

TEST(IntakePolicy, WhileTheDestinationFailsEventsGoToDiskAtOnce) {
  IntakePolicy policy(1000, 10'000);
  EXPECT_EQ(policy.on_events({true, true, 10, false}), IntakeAction::spill_now);
  EXPECT_EQ(policy.on_events({true, false, 10, false}), IntakeAction::keep) << "no spill store";
}

TEST(IntakePolicy, AFullBatchStartsABackgroundFlushUnlessOneRuns) {
  IntakePolicy policy(1000, 10'000);
  EXPECT_EQ(policy.on_events({false, true, 999, false}), IntakeAction::keep);
  EXPECT_EQ(policy.on_events({false, true, 1000, false}), IntakeAction::flush_in_background);
  EXPECT_EQ(policy.on_events({false, true, 1000, true}), IntakeAction::keep);
}

TEST(IntakePolicy, ABatchLargerThanHalfTheBudgetFlushesAtHalfTheBudget) {
  IntakePolicy policy(5'000'000, 2'000'000);  // OpenSearch's 5 MiB batches, a 2 MB budget
  EXPECT_EQ(policy.on_events({false, true, 999'999, false}), IntakeAction::keep);
  EXPECT_EQ(policy.on_events({false, true, 1'000'000, false}), IntakeAction::flush_in_background);
}

TEST(DrainPolicy, FlushesUntilNothingIsLeftNorInFlight) {
  DrainPolicy policy(t0 + 1s);
  EXPECT_EQ(policy.next(t0, 5, false).kind, DrainStep::Kind::flush);
  policy.flushed(true);
  EXPECT_EQ(policy.next(t0, 0, true).kind, DrainStep::Kind::flush) << "a batch is still out";
  EXPECT_EQ(policy.next(t0, 0, false).kind, DrainStep::Kind::stop);
}

TEST(DrainPolicy, PausesAfterAFailureDoublingUpToItsBound) {
  DrainPolicy policy(t0 + 10s);
  std::vector<Clock::duration> pauses;
  for (int i = 0; i < 6; ++i) {
    policy.flushed(false);
    const auto step = policy.next(t0, 5, false);
    ASSERT_EQ(step.kind, DrainStep::Kind::pause);
    pauses.push_back(step.until - t0);
    policy.paused();
    EXPECT_EQ(policy.next(t0, 5, false).kind, DrainStep::Kind::flush) << "a pause, then a flush";
  }
  EXPECT_EQ(pauses, (std::vector<Clock::duration>{20ms, 40ms, 80ms, 160ms, 200ms, 200ms}));
  policy.flushed(true);
  policy.flushed(false);
  EXPECT_EQ(policy.next(t0, 5, false).until - t0, 20ms) << "a success resets the pause";
}

TEST(DrainPolicy, StopsAtTheLimitAndNeverPausesPastIt) {
  DrainPolicy policy(t0 + 50ms);
  policy.flushed(false);
  policy.paused();
  policy.paused();  // the next pause would be 80 ms
  policy.flushed(false);
  EXPECT_EQ(policy.next(t0, 5, false).until, t0 + 50ms);
  EXPECT_EQ(policy.next(t0 + 50ms, 5, true).kind, DrainStep::Kind::stop);
}

}  // namespace

namespace {

using ltf::pipeline::RestoreWatch;

TEST(RestoreWatch, ARestoreEventFiresOnceForTheWholeRestore) {
  RestoreWatch watch(std::chrono::system_clock::now(), t0);
  EXPECT_FALSE(watch.on_event("platform.start"));
  EXPECT_TRUE(watch.on_event("platform.restoreStart"));
  EXPECT_FALSE(watch.on_event("platform.restoreRuntimeDone")) << "the same restore";
  EXPECT_FALSE(watch.on_event("platform.restoreReport"));
  EXPECT_TRUE(watch.restored());
}

TEST(RestoreWatch, TheWallClockJumpingAgainstTheMonotonicOneIsARestore) {
  const auto wall = std::chrono::system_clock::time_point(std::chrono::hours(24 * 20000));
  RestoreWatch watch(wall, t0);
  EXPECT_FALSE(watch.on_clocks(wall + 5s, t0 + 5s)) << "both moved together";
  EXPECT_FALSE(watch.on_clocks(wall + 6s, t0 + 5s)) << "an NTP step of a second";
  EXPECT_TRUE(watch.on_clocks(wall + 3600s, t0 + 6s)) << "restored an hour after the snapshot";
  EXPECT_FALSE(watch.on_event("platform.restoreStart")) << "already acted on";
}

}  // namespace
