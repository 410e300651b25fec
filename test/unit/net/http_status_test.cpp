// meaning_of_status: every status class and the special cases each client relies on.
#include "ltf/http_status.hpp"

#include <gtest/gtest.h>

namespace ltf::net {
namespace {

TEST(HttpStatus, EveryClassHasOneMeaning) {
  EXPECT_EQ(meaning_of_status(200), StatusMeaning::success);
  EXPECT_EQ(meaning_of_status(204), StatusMeaning::success);
  for (unsigned s : {408u, 429u, 500u, 502u, 503u, 504u, 599u})
    EXPECT_EQ(meaning_of_status(s), StatusMeaning::retry) << s;
  for (unsigned s : {401u, 403u}) EXPECT_EQ(meaning_of_status(s), StatusMeaning::reauthenticate);
  EXPECT_EQ(meaning_of_status(413), StatusMeaning::too_large);
  for (unsigned s : {400u, 404u, 405u, 409u, 415u, 422u})
    EXPECT_EQ(meaning_of_status(s), StatusMeaning::refused) << s;
}

TEST(HttpStatus, InterimAndRedirectAnswersAreRetriedNotDropped) {
  for (unsigned s : {0u, 100u, 103u, 301u, 302u, 307u, 308u})
    EXPECT_EQ(meaning_of_status(s), StatusMeaning::retry) << s;
}

TEST(HttpStatus, OtlpRetriesOnlyWhatItsSpecificationCallsRetryable) {
  const auto otlp = StatusRules::otlp;
  for (unsigned s : {429u, 502u, 503u, 504u})
    EXPECT_EQ(meaning_of_status(s, otlp), StatusMeaning::retry) << s;
  for (unsigned s : {400u, 404u, 408u, 415u, 500u, 501u, 505u, 599u})
    EXPECT_EQ(meaning_of_status(s, otlp), StatusMeaning::refused) << s;
  for (unsigned s : {401u, 403u}) EXPECT_EQ(meaning_of_status(s, otlp), StatusMeaning::reauthenticate);
  EXPECT_EQ(meaning_of_status(413, otlp), StatusMeaning::too_large);
  EXPECT_EQ(meaning_of_status(200, otlp), StatusMeaning::success);
  EXPECT_EQ(meaning_of_status(302, otlp), StatusMeaning::retry);
}

}  // namespace
}  // namespace ltf::net
