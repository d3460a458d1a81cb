// The transition table is checked against a list written out independently here: changing the
// state machine requires changing both, on purpose.
#include "jobs/job_state.h"

#include <gtest/gtest.h>

#include <set>
#include <utility>

namespace scriptgen::jobs {
namespace {

using S = JobState;

const std::set<std::pair<S, S>> kExpectedLegal = {
    {S::kQueued, S::kRunning},      {S::kQueued, S::kCancelled},  {S::kScheduled, S::kQueued},
    {S::kScheduled, S::kCancelled}, {S::kRunning, S::kSucceeded}, {S::kRunning, S::kScheduled},
    {S::kRunning, S::kDead},        {S::kRunning, S::kCancelled}, {S::kRunning, S::kQueued},
    {S::kDead, S::kQueued},
};

TEST(JobStateTest, EveryPairMatchesTheTable) {
  int legal = 0;
  for (int f = 0; f < kJobStateCount; ++f) {
    for (int t = 0; t < kJobStateCount; ++t) {
      const S from = static_cast<S>(f), to = static_cast<S>(t);
      const bool expected = kExpectedLegal.contains({from, to});
      EXPECT_EQ(IsLegalTransition(from, to), expected)
          << StateName(from) << " -> " << StateName(to);
      Status s = CheckTransition(from, to);
      EXPECT_EQ(s.ok(), expected);
      if (!expected) {
        EXPECT_EQ(s.code(), Code::kFailedPrecondition);
        EXPECT_NE(s.message().find(std::string(StateName(from))), std::string::npos);
      }
      legal += expected;
    }
  }
  EXPECT_EQ(legal, static_cast<int>(kExpectedLegal.size()));
}

TEST(JobStateTest, TerminalStatesHaveNoAutomaticExit) {
  EXPECT_TRUE(IsTerminal(S::kSucceeded));
  EXPECT_TRUE(IsTerminal(S::kCancelled));
  EXPECT_TRUE(IsTerminal(S::kDead));
  EXPECT_FALSE(IsTerminal(S::kQueued));
  EXPECT_FALSE(IsTerminal(S::kScheduled));
  EXPECT_FALSE(IsTerminal(S::kRunning));
  for (int t = 0; t < kJobStateCount; ++t) {
    EXPECT_FALSE(IsLegalTransition(S::kSucceeded, static_cast<S>(t)));
    EXPECT_FALSE(IsLegalTransition(S::kCancelled, static_cast<S>(t)));
  }
}

TEST(JobStateTest, NamesRoundTripAndUnknownNamesAreRejected) {
  for (int i = 0; i < kJobStateCount; ++i) {
    const S s = static_cast<S>(i);
    ASSERT_TRUE(ParseState(StateName(s)).has_value());
    EXPECT_EQ(*ParseState(StateName(s)), s);
  }
  EXPECT_FALSE(ParseState("failed").has_value());
  EXPECT_FALSE(ParseState("").has_value());
  EXPECT_FALSE(ParseState("QUEUED").has_value());
}

TEST(JobStateTest, OutOfRangeValuesAreIllegal) {
  EXPECT_FALSE(IsLegalTransition(static_cast<S>(42), S::kQueued));
  EXPECT_FALSE(IsLegalTransition(S::kQueued, static_cast<S>(-1)));
}

TEST(JobStateTest, StatesThatMayBecomeMatchesTable) {
  const auto into_queued = StatesThatMayBecome(S::kQueued);
  EXPECT_TRUE(into_queued[static_cast<int>(S::kScheduled)]);
  EXPECT_TRUE(into_queued[static_cast<int>(S::kRunning)]);
  EXPECT_TRUE(into_queued[static_cast<int>(S::kDead)]);
  EXPECT_FALSE(into_queued[static_cast<int>(S::kSucceeded)]);
  EXPECT_FALSE(into_queued[static_cast<int>(S::kQueued)]);
}

}  // namespace
}  // namespace scriptgen::jobs
