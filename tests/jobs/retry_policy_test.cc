#include "jobs/retry_policy.h"

#include <gtest/gtest.h>

#include <set>

namespace scriptgen::jobs {
namespace {

using std::chrono::milliseconds;

TEST(RetryPolicyTest, DefaultScheduleIsOneFiveTwentyFiveOneTwentyFiveSeconds) {
  RetryPolicy policy;
  const int64_t expected[] = {1000, 5000, 25000, 125000};
  for (int attempt = 1; attempt <= 4; ++attempt) {
    // random01 = 0.5 is the centre of the jitter band: exactly the base delay.
    RetryDecision d = policy.Decide(attempt, ErrorClass::kProviderUnavailable, 0.5);
    ASSERT_TRUE(d.retry) << attempt;
    EXPECT_EQ(d.delay.count(), expected[attempt - 1]) << attempt;
  }
  EXPECT_FALSE(policy.Decide(5, ErrorClass::kProviderUnavailable, 0.5).retry);
}

TEST(RetryPolicyTest, JitterStaysWithinItsBand) {
  RetryPolicy policy;  // jitter 0.2
  EXPECT_EQ(policy.Decide(2, ErrorClass::kTimeout, 0.0).delay.count(), 4000);
  EXPECT_EQ(policy.Decide(2, ErrorClass::kTimeout, 0.999999).delay.count(), 5999);
  for (int i = 0; i < 1000; ++i) {
    RetryDecision d = policy.Decide(1, ErrorClass::kRateLimited);
    ASSERT_TRUE(d.retry);
    EXPECT_GE(d.delay.count(), 800);
    EXPECT_LE(d.delay.count(), 1200);
  }
}

TEST(RetryPolicyTest, JitterSpreadsARetryStorm) {
  RetryPolicy policy;
  std::set<int64_t> delays;
  for (int i = 0; i < 200; ++i) delays.insert(policy.Decide(1, ErrorClass::kTimeout).delay.count());
  EXPECT_GT(delays.size(), 50u);
}

TEST(RetryPolicyTest, PermanentClassesAreNeverRetried) {
  RetryPolicy policy;
  for (ErrorClass c : {ErrorClass::kBadInput, ErrorClass::kUnsupportedType, ErrorClass::kInternal,
                       ErrorClass::kCancelled}) {
    EXPECT_FALSE(policy.Decide(1, c, 0.5).retry) << ErrorClassName(c);
  }
  for (ErrorClass c :
       {ErrorClass::kRateLimited, ErrorClass::kProviderUnavailable, ErrorClass::kTimeout}) {
    EXPECT_TRUE(policy.Decide(1, c, 0.5).retry) << ErrorClassName(c);
  }
}

TEST(RetryPolicyTest, CustomScheduleRepeatsItsLastDelay) {
  RetryPolicy policy({{milliseconds(10), milliseconds(20)}, 0.0, 6});
  EXPECT_EQ(policy.Decide(1, ErrorClass::kTimeout).delay.count(), 10);
  EXPECT_EQ(policy.Decide(2, ErrorClass::kTimeout).delay.count(), 20);
  EXPECT_EQ(policy.Decide(5, ErrorClass::kTimeout).delay.count(), 20);
  EXPECT_FALSE(policy.Decide(6, ErrorClass::kTimeout).retry);
}

TEST(RetryPolicyTest, NonsenseOptionsAreClamped) {
  RetryPolicy policy({{milliseconds(10)}, 7.0, -3});
  EXPECT_EQ(policy.options().max_attempts, 1);
  EXPECT_EQ(policy.options().jitter, 1.0);
  EXPECT_FALSE(policy.Decide(1, ErrorClass::kTimeout, 0.5).retry);
}

TEST(ErrorClassTest, NamesRoundTripAndEveryClassHasARecommendation) {
  for (int i = 0; i < kErrorClassCount; ++i) {
    const ErrorClass c = static_cast<ErrorClass>(i);
    ASSERT_EQ(ParseErrorClass(ErrorClassName(c)), c);
    EXPECT_GT(Recommendation(c).size(), 20u);
  }
  EXPECT_FALSE(ParseErrorClass("nope").has_value());
}

TEST(ErrorClassTest, StatusCodesMapToTheRightClass) {
  EXPECT_EQ(ClassifyStatus(InvalidArgument("x")), ErrorClass::kBadInput);
  EXPECT_EQ(ClassifyStatus(Status(Code::kUnsupported, "x")), ErrorClass::kUnsupportedType);
  EXPECT_EQ(ClassifyStatus(Status(Code::kResourceExhausted, "x")), ErrorClass::kRateLimited);
  EXPECT_EQ(ClassifyStatus(Unavailable("x")), ErrorClass::kProviderUnavailable);
  EXPECT_EQ(ClassifyStatus(Status(Code::kDeadlineExceeded, "x")), ErrorClass::kTimeout);
  EXPECT_EQ(ClassifyStatus(Internal("x")), ErrorClass::kInternal);
  EXPECT_EQ(ClassifyStatus(Cancelled("x")), ErrorClass::kCancelled);
  // A full disk is its own class (an operator frees space), not a provider or rate problem.
  EXPECT_EQ(ClassifyStatus(StorageFull("x")), ErrorClass::kStorageFull);
  EXPECT_EQ(ErrorClassName(ErrorClass::kStorageFull), "storage_full");
  EXPECT_TRUE(IsRetryable(ErrorClass::kStorageFull));
}

}  // namespace
}  // namespace scriptgen::jobs
