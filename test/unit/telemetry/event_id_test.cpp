#include "ltf/telemetry.hpp"

#include <gtest/gtest.h>

namespace {

using ltf::telemetry::Event;
using ltf::telemetry::FunctionIdentity;

const FunctionIdentity kFunction{"us-east-1", "my-fn", "$LATEST"};

Event log_line(std::string text = "hello") {
  Event e;
  e.type = "function";
  e.time = "2022-10-12T00:03:50.000Z";
  e.raw = R"({"time":"2022-10-12T00:03:50.000Z","type":"function","record":")" + text + "\"}";
  return e;
}

TEST(EventId, MatchesTheSpecifiedHashComputedIndependently) {
  // Expected value from Python: hashlib.sha256("us-east-1\nmy-fn\n$LATEST\nfunction\n"
  // "2022-10-12T00:03:50.000Z\n" + raw + "\n0").hexdigest()[:32]
  EXPECT_EQ(ltf::telemetry::event_id(kFunction, log_line(), 0), "6e9f3c22c14c4229d5ccfb5dfd729cc2");
}

TEST(EventId, IsStableAndDependsOnEveryInput) {
  const auto id = ltf::telemetry::event_id(kFunction, log_line(), 0);
  EXPECT_EQ(id.size(), 32u);
  EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(ltf::telemetry::event_id(kFunction, log_line(), 0), id);
  EXPECT_NE(ltf::telemetry::event_id(kFunction, log_line(), 1), id);
  EXPECT_NE(ltf::telemetry::event_id(kFunction, log_line("other"), 0), id);
  EXPECT_NE(ltf::telemetry::event_id({"eu-west-1", "my-fn", "$LATEST"}, log_line(), 0), id);
  EXPECT_NE(ltf::telemetry::event_id({"us-east-1", "my-fn", "7"}, log_line(), 0), id);
}

TEST(EventId, IdenticalLinesInOnePostGetDistinctIdsAndARedeliveryTheSameOnes) {
  std::vector<Event> post{log_line(), log_line("x"), log_line()};
  ltf::telemetry::assign_event_ids(kFunction, post);
  EXPECT_NE(post[0].id, post[2].id);
  EXPECT_EQ(post[0].id, ltf::telemetry::event_id(kFunction, post[0], 0));
  EXPECT_EQ(post[2].id, ltf::telemetry::event_id(kFunction, post[2], 1));
  std::vector<Event> again{log_line(), log_line("x"), log_line()};
  ltf::telemetry::assign_event_ids(kFunction, again);
  for (std::size_t i = 0; i < post.size(); ++i) EXPECT_EQ(again[i].id, post[i].id);
}

}  // namespace
