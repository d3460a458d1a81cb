#include "obs/trace_context.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

namespace scriptgen::obs {
namespace {

constexpr std::string_view kValid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

TEST(TraceContextTest, ParsesAValidHeader) {
  auto tp = ParseTraceParent(kValid);
  ASSERT_TRUE(tp.has_value());
  EXPECT_EQ(tp->version, 0);
  EXPECT_EQ(tp->trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(tp->parent_id, "00f067aa0ba902b7");
  EXPECT_EQ(tp->flags, 1);
  EXPECT_TRUE(tp->sampled());
  EXPECT_EQ(FormatTraceParent(*tp), kValid);
}

struct Case {
  std::string header;
  bool valid;
  const char* why;
};

TEST(TraceContextTest, ParsingTable) {
  const std::vector<Case> cases = {
      {std::string(kValid), true, "canonical example"},
      {"  " + std::string(kValid) + "\t", true, "optional whitespace around the value"},
      {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", true, "not sampled"},
      {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-ff", true, "unknown flag bits"},
      {"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", true, "future version"},
      {"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", true,
       "future version with more fields"},
      {"cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-holds", true,
       "future version, spec example"},
      {"", false, "empty"},
      {"00", false, "too short"},
      {"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false, "version ff"},
      {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", false,
       "version 00 must be exactly 55 chars"},
      {"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x", false,
       "future version: only '-' may follow the flags"},
      {"00-00000000000000000000000000000000-00f067aa0ba902b7-01", false, "all-zero trace id"},
      {"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", false, "all-zero parent id"},
      {"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", false, "uppercase trace id"},
      {"00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01", false, "uppercase parent id"},
      {"0A-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false, "uppercase version"},
      {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0G", false, "non-hex flags"},
      {"00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01", false, "trace id 31 digits"},
      {"00-4bf92f3577b34da6a3ce929d0e0e47366-00f067aa0ba902b7-01", false, "trace id 33 digits"},
      {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b-01", false, "parent id 15 digits"},
      {"00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01", false, "wrong separators"},
      {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1", false, "flags one digit"},
      {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 ", true, "trailing space is OWS"},
      {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7", false, "flags missing"},
      {"00-xyz92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false, "non-hex trace id"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ParseTraceParent(c.header).has_value(), c.valid) << c.why << ": '" << c.header << "'";
  }
}

TEST(TraceContextTest, GeneratedIdsAreValidAndDistinct) {
  std::set<std::string> traces, spans;
  for (int i = 0; i < 1000; ++i) {
    std::string t = NewTraceId(), s = NewSpanId();
    EXPECT_TRUE(IsValidTraceId(t)) << t;
    EXPECT_TRUE(IsValidSpanId(s)) << s;
    traces.insert(t);
    spans.insert(s);
  }
  EXPECT_EQ(traces.size(), 1000u);
  EXPECT_EQ(spans.size(), 1000u);
}

TEST(TraceContextTest, GenerationIsThreadSafe) {
  std::vector<std::thread> threads;
  std::vector<std::set<std::string>> per_thread(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) per_thread[t].insert(NewTraceId());
    });
  }
  for (auto& th : threads) th.join();
  std::set<std::string> all;
  for (const auto& s : per_thread) all.insert(s.begin(), s.end());
  EXPECT_EQ(all.size(), 2000u);
}

TEST(TraceContextTest, RequestIdValidation) {
  EXPECT_TRUE(IsValidRequestId("abc-123"));
  EXPECT_TRUE(IsValidRequestId("req:1/2?x=\"y\""));  // printable ASCII is fine (escaped in logs)
  EXPECT_TRUE(IsValidRequestId(std::string(128, 'a')));
  EXPECT_FALSE(IsValidRequestId(std::string(129, 'a')));
  EXPECT_FALSE(IsValidRequestId(""));
  EXPECT_FALSE(IsValidRequestId("has space"));
  EXPECT_FALSE(IsValidRequestId("line\nbreak"));
  EXPECT_FALSE(IsValidRequestId("caf\xC3\xA9"));
  EXPECT_EQ(RequestIdOrNew(std::string_view("mine-1")), "mine-1");
  std::string generated = RequestIdOrNew(std::string_view("bad id"));
  EXPECT_TRUE(generated.starts_with("req_")) << generated;
  EXPECT_EQ(generated.size(), 24u);
  EXPECT_TRUE(RequestIdOrNew(std::nullopt).starts_with("req_"));
  EXPECT_NE(NewRequestId(), NewRequestId());
}

TEST(TraceContextTest, RequestIdsContinueTheCallersTrace) {
  RequestIds ids = RequestIds::FromHeaders(kValid, std::string_view("client-42"), std::nullopt);
  EXPECT_EQ(ids.request_id, "client-42");
  EXPECT_EQ(ids.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(ids.parent_span_id, "00f067aa0ba902b7");
  EXPECT_TRUE(IsValidSpanId(ids.span_id));
  EXPECT_NE(ids.span_id, ids.parent_span_id);
  EXPECT_EQ(ids.correlation_id, "client-42");
  std::string out = ids.ResponseTraceparent();
  auto back = ParseTraceParent(out);
  ASSERT_TRUE(back.has_value()) << out;
  EXPECT_EQ(back->trace_id, ids.trace_id);
  EXPECT_EQ(back->parent_id, ids.span_id);
  EXPECT_EQ(back->flags, 1);

  LogContext ctx = ids.LogContext();
  EXPECT_EQ(ctx.request_id, "client-42");
  EXPECT_EQ(ctx.trace_id, ids.trace_id);
  EXPECT_EQ(ctx.span_id, ids.span_id);
  EXPECT_EQ(ctx.correlation_id, "client-42");
  EXPECT_TRUE(ctx.job_id.empty());
}

TEST(TraceContextTest, RequestIdsStartANewTraceWhenAbsentOrInvalid) {
  for (std::optional<std::string_view> header :
       {std::optional<std::string_view>{}, std::optional<std::string_view>("garbage")}) {
    RequestIds ids = RequestIds::FromHeaders(header, std::nullopt, std::string_view("corr-9"));
    EXPECT_TRUE(IsValidTraceId(ids.trace_id));
    EXPECT_TRUE(ids.parent_span_id.empty());
    EXPECT_TRUE(ids.request_id.starts_with("req_"));
    EXPECT_EQ(ids.correlation_id, "corr-9");
    EXPECT_EQ(ids.trace_flags, 1);
  }
}

}  // namespace
}  // namespace scriptgen::obs
