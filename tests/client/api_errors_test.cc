#include "client/api_errors.h"

#include <gtest/gtest.h>

#include "client/cli_common.h"

namespace scriptgen::client {
namespace {

HttpResponse Response(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

TEST(ApiErrors, ServerErrorBodyBecomesOneLine) {
  const Status s = StatusFromResponse(
      Response(404, R"({"error":{"code":"not_found","message":"job 'job_9' does not exist"}})"),
      true);
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_EQ(s.message(), "not_found: job 'job_9' does not exist (HTTP 404)");
  EXPECT_EQ(ExitCode(s), kExitFailure);
}

TEST(ApiErrors, MapsStatusesToCodes) {
  EXPECT_EQ(StatusFromResponse(Response(400, ""), true).code(), Code::kInvalidArgument);
  EXPECT_EQ(StatusFromResponse(Response(401, ""), true).code(), Code::kUnauthenticated);
  EXPECT_EQ(StatusFromResponse(Response(409, ""), true).code(), Code::kFailedPrecondition);
  EXPECT_EQ(StatusFromResponse(Response(413, ""), true).code(), Code::kResourceExhausted);
  EXPECT_EQ(StatusFromResponse(Response(415, ""), true).code(), Code::kUnsupported);
  const Status full = StatusFromResponse(Response(507, ""), true);
  EXPECT_EQ(full.code(), Code::kStorageFull);
  EXPECT_EQ(ExitCode(full), kExitFailure);
  // A 503 is the server answering: exit 1, not the "unreachable" 2.
  const Status busy = StatusFromResponse(Response(503, ""), true);
  EXPECT_EQ(busy.code(), Code::kInternal);
  EXPECT_EQ(ExitCode(busy), kExitFailure);
}

TEST(ApiErrors, NonJsonBodiesAreShownBriefly) {
  EXPECT_EQ(StatusFromResponse(Response(502, "<html>\n Bad   gateway</html>"), true).message(),
            "HTTP 502: <html> Bad gateway</html>");
  EXPECT_EQ(StatusFromResponse(Response(500, ""), true).message(), "HTTP 500");
}

TEST(ApiErrors, HintsAtTheTokenOnlyWhenNoneWasGiven) {
  const std::string body =
      R"({"error":{"code":"unauthenticated","message":"missing 'Authorization: Bearer <token>' header"}})";
  EXPECT_EQ(StatusFromResponse(Response(401, body), true).message().find("SCRIPTGEN_TOKEN"),
            std::string::npos);
  EXPECT_NE(StatusFromResponse(Response(401, body), false).message().find("SCRIPTGEN_TOKEN"),
            std::string::npos);
}

TEST(ApiErrors, ParsesSuccessBodies) {
  StatusOr<boost::json::value> v = ParseApiResponse(Response(202, R"({"job_id":"job_1"})"), true);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(StringField(*v, "job_id"), "job_1");
  EXPECT_FALSE(ParseApiResponse(Response(200, "not json"), true).ok());
  EXPECT_TRUE(ParseApiResponse(Response(204, ""), true).ok());
}

TEST(ApiErrors, TransportFailuresExitWithTwo) {
  EXPECT_EQ(ExitCode(Unavailable("cannot connect")), kExitUnreachable);
  EXPECT_EQ(ExitCode(Status(Code::kDeadlineExceeded, "slow")), kExitUnreachable);
  EXPECT_EQ(ExitCode(Status()), 0);
}

TEST(ResolveToken, RejectsControlCharacters) {
  EXPECT_FALSE(ResolveToken("abc\r\nX-Evil: 1").ok());
  EXPECT_EQ(*ResolveToken("abcdef0123456789"), "abcdef0123456789");
}

}  // namespace
}  // namespace scriptgen::client
