// SnapStart: environments restored from one snapshot share everything chosen before it. After the
// restore each picks a new sandbox id, which then joins the event id: clones never share ids,
// while before any restore the id is the OpenSearch spec's (a redelivery still dedups).
#include "ltf/telemetry.hpp"

#include <gtest/gtest.h>

#include <set>

namespace {

using ltf::telemetry::Event;
using ltf::telemetry::FunctionIdentity;

std::vector<Event> same_events() {
  std::vector<Event> events;
  for (int i = 0; i < 50; ++i) {
    Event e;
    e.type = "function";
    e.time = "2026-12-04T20:00:00.000Z";
    e.raw = R"({"time":"2026-12-04T20:00:00.000Z","type":"function","record":"line )" +
            std::to_string(i) + R"("})";
    events.push_back(e);
  }
  return events;
}

TEST(RestoredEventIds, TwoClonesOfOneSnapshotProduceDisjointIds) {
  const FunctionIdentity snapshot{"eu-west-1", "orders", "7", "aaaaaaaaaaaaaaaa"};
  FunctionIdentity clone_a = snapshot, clone_b = snapshot;
  clone_a.sandbox = "1111111111111111";  // each picks its own after the restore
  clone_b.sandbox = "2222222222222222";
  clone_a.restored = clone_b.restored = true;
  auto a = same_events(), b = same_events();
  ltf::telemetry::assign_event_ids(clone_a, a);
  ltf::telemetry::assign_event_ids(clone_b, b);
  std::set<std::string> ids;
  for (const auto& e : a) ids.insert(e.id);
  for (const auto& e : b) EXPECT_FALSE(ids.contains(e.id)) << e.raw;
  EXPECT_EQ(ids.size(), a.size());
}

TEST(RestoredEventIds, BeforeAnyRestoreTheSandboxIsNotPartOfTheId) {
  FunctionIdentity one{"eu-west-1", "orders", "7", "1111111111111111"};
  FunctionIdentity other{"eu-west-1", "orders", "7", "2222222222222222"};
  auto a = same_events(), b = same_events();
  ltf::telemetry::assign_event_ids(one, a);
  ltf::telemetry::assign_event_ids(other, b);
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].id, b[i].id);
}

}  // namespace
