#include "ltf/lambda.hpp"

#include <gtest/gtest.h>

namespace {

using ltf::lambda::InvokeEvent;
using ltf::lambda::ShutdownEvent;

TEST(LifecycleEvent, InvokeCarriesRequestIdAndEpochDeadline) {
  auto event = ltf::lambda::parse_lifecycle_event(
      R"({"eventType":"INVOKE","deadlineMs":1775516174092,"requestId":"3da1f2dc",)"
      R"("invokedFunctionArn":"arn:aws:lambda:us-east-1:123456789012:function:f",)"
      R"("tracing":{"type":"X-Amzn-Trace-Id","value":"Root=1"}})",
      nullptr);
  ASSERT_TRUE(event);
  const auto& invoke = std::get<InvokeEvent>(*event);
  EXPECT_EQ(invoke.request_id, "3da1f2dc");
  EXPECT_EQ(invoke.deadline_ms, 1775516174092);
  EXPECT_EQ(invoke.invoked_function_arn, "arn:aws:lambda:us-east-1:123456789012:function:f");
}

TEST(LifecycleEvent, ShutdownReasonIsComparedInLowerCase) {
  auto event = ltf::lambda::parse_lifecycle_event(
      R"({"eventType":"SHUTDOWN","deadlineMs":1775516176092,"shutdownReason":"SPINDOWN"})", nullptr);
  ASSERT_TRUE(event);
  const auto& shutdown = std::get<ShutdownEvent>(*event);
  EXPECT_EQ(shutdown.reason, "spindown");
  EXPECT_EQ(shutdown.deadline_ms, 1775516176092);
}

TEST(LifecycleEvent, UnknownFieldsAreIgnoredAndTracingIsOptional) {
  auto event = ltf::lambda::parse_lifecycle_event(
      R"({"eventType":"INVOKE","deadlineMs":5,"requestId":"r","tenantId":"t","extra":{"a":[1]}})",
      nullptr);
  ASSERT_TRUE(event);
  EXPECT_EQ(std::get<InvokeEvent>(*event).request_id, "r");
}

TEST(LifecycleEvent, GarbageIsRefusedWithAReason) {
  std::string why;
  EXPECT_FALSE(ltf::lambda::parse_lifecycle_event("not json", &why));
  EXPECT_FALSE(why.empty());
  why.clear();
  EXPECT_FALSE(ltf::lambda::parse_lifecycle_event(R"({"eventType":"RESTORE"})", &why));
  EXPECT_NE(why.find("RESTORE"), std::string::npos);
}

}  // namespace
