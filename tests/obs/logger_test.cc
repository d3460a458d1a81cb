#include "obs/logger.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace scriptgen::obs {
namespace {

// Collects lines from a Logger.
struct Capture {
  std::mutex mu;
  std::vector<std::string> lines;
  LogSink Sink() {
    return [this](std::string_view line) {
      std::lock_guard lock(mu);
      lines.emplace_back(line);
    };
  }
};

boost::json::object Parse(const std::string& line) {
  EXPECT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "one line per record";
  return boost::json::parse(line).as_object();
}

TEST(LoggerTest, EmitsOneJsonObjectPerLine) {
  Capture cap;
  ManualClock clock(1'764'164'701'123);
  Logger log(cap.Sink(), LogLevel::kDebug, &clock);
  log.Info("document accepted", {{"document_id", "doc_1"},
                                 {"bytes", 1234},
                                 {"ratio", 0.5},
                                 {"ok", true},
                                 {"big", uint64_t{18446744073709551615u}}});
  ASSERT_EQ(cap.lines.size(), 1u);
  EXPECT_EQ(cap.lines[0],
            "{\"ts\":\"2025-11-26T13:45:01.123Z\",\"level\":\"info\",\"msg\":\"document "
            "accepted\",\"document_id\":\"doc_1\",\"bytes\":1234,\"ratio\":0.5,\"ok\":true,"
            "\"big\":18446744073709551615}\n");
  Parse(cap.lines[0]);
}

TEST(LoggerTest, TimestampIsRfc3339UtcWithMilliseconds) {
  Capture cap;
  Logger log(cap.Sink());
  log.Warn("x");
  auto obj = Parse(cap.lines.at(0));
  std::string ts(obj.at("ts").as_string());
  EXPECT_TRUE(std::regex_match(ts, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)"))) << ts;
  EXPECT_EQ(obj.at("level").as_string(), "warn");
}

TEST(LoggerTest, EscapesAndRepairsUtf8) {
  Capture cap;
  Logger log(cap.Sink());
  std::string nasty = "quote\" backslash\\ newline\n tab\t ctl\x01 latin1\xE9 ok\xC3\xA9 end";
  log.Error(nasty, {{"k\"ey", nasty}});
  auto obj = Parse(cap.lines.at(0));
  EXPECT_EQ(obj.at("msg").as_string(),
            "quote\" backslash\\ newline\n tab\t ctl\x01 latin1\xEF\xBF\xBD ok\xC3\xA9 end");
  EXPECT_TRUE(obj.contains("k\"ey"));
}

TEST(LoggerTest, NonFiniteNumbersBecomeNull) {
  Capture cap;
  Logger log(cap.Sink());
  log.Info("x", {{"nan", 0.0 / 0.0}});
  EXPECT_TRUE(Parse(cap.lines.at(0)).at("nan").is_null());
}

TEST(LoggerTest, LevelFiltering) {
  Capture cap;
  Logger log(cap.Sink(), LogLevel::kWarn);
  log.Debug("d");
  log.Info("i");
  log.Warn("w");
  log.Error("e");
  ASSERT_EQ(cap.lines.size(), 2u);
  EXPECT_EQ(Parse(cap.lines[0]).at("msg").as_string(), "w");
  EXPECT_EQ(Parse(cap.lines[1]).at("msg").as_string(), "e");
  log.SetLevel(LogLevel::kDebug);
  log.Debug("d2");
  EXPECT_EQ(cap.lines.size(), 3u);
  EXPECT_TRUE(log.Enabled(LogLevel::kDebug));
}

TEST(LoggerTest, ParseLogLevel) {
  EXPECT_EQ(ParseLogLevel("debug"), LogLevel::kDebug);
  EXPECT_EQ(ParseLogLevel("INFO"), LogLevel::kInfo);
  EXPECT_EQ(ParseLogLevel("warn"), LogLevel::kWarn);
  EXPECT_EQ(ParseLogLevel("Warning"), LogLevel::kWarn);
  EXPECT_EQ(ParseLogLevel("error"), LogLevel::kError);
  EXPECT_EQ(ParseLogLevel("verbose"), std::nullopt);
  EXPECT_EQ(ParseLogLevel(""), std::nullopt);
  for (LogLevel l : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError}) {
    EXPECT_EQ(ParseLogLevel(LogLevelName(l)), l);
  }
}

TEST(LoggerTest, ContextFieldsAppearOnEveryLineAndNestingRestores) {
  Capture cap;
  Logger log(cap.Sink());
  log.Info("before");
  {
    ScopedLogContext request({.request_id = "req_1", .trace_id = "t1", .correlation_id = "req_1"});
    log.Info("in request");
    {
      ScopedLogContext job({.job_id = "job_7"});  // merged: keeps request_id and trace_id
      log.Info("in job");
      {
        ScopedLogContext fresh({.trace_id = "t2"}, ScopedLogContext::Mode::kReplace);
        log.Info("replaced");
      }
      log.Info("back in job");
    }
    log.Info("back in request");
  }
  log.Info("after");
  ASSERT_EQ(cap.lines.size(), 7u);
  auto before = Parse(cap.lines[0]);
  EXPECT_FALSE(before.contains("request_id"));
  EXPECT_FALSE(before.contains("job_id"));

  auto req = Parse(cap.lines[1]);
  EXPECT_EQ(req.at("request_id").as_string(), "req_1");
  EXPECT_EQ(req.at("trace_id").as_string(), "t1");
  EXPECT_EQ(req.at("correlation_id").as_string(), "req_1");
  EXPECT_FALSE(req.contains("job_id"));

  auto job = Parse(cap.lines[2]);
  EXPECT_EQ(job.at("request_id").as_string(), "req_1");
  EXPECT_EQ(job.at("trace_id").as_string(), "t1");
  EXPECT_EQ(job.at("job_id").as_string(), "job_7");

  auto replaced = Parse(cap.lines[3]);
  EXPECT_EQ(replaced.at("trace_id").as_string(), "t2");
  EXPECT_FALSE(replaced.contains("request_id"));
  EXPECT_FALSE(replaced.contains("job_id"));

  EXPECT_EQ(Parse(cap.lines[4]).at("job_id").as_string(), "job_7");
  EXPECT_FALSE(Parse(cap.lines[5]).contains("job_id"));
  EXPECT_EQ(Parse(cap.lines[5]).at("request_id").as_string(), "req_1");
  EXPECT_FALSE(Parse(cap.lines[6]).contains("request_id"));
  EXPECT_TRUE(CurrentLogContext().request_id.empty());
}

TEST(LoggerTest, ContextIsPerThread) {
  Capture cap;
  Logger log(cap.Sink());
  ScopedLogContext mine({.job_id = "job_main"});
  std::thread([&] { log.Info("other thread"); }).join();
  EXPECT_FALSE(Parse(cap.lines.at(0)).contains("job_id"));
}

TEST(LoggerTest, FieldsCannotShadowReservedKeys) {
  Capture cap;
  Logger log(cap.Sink());
  ScopedLogContext ctx({.job_id = "job_1"});
  log.Info("m", {{"msg", "sneaky"}, {"job_id", "job_2"}, {"level", 1}});
  auto obj = Parse(cap.lines.at(0));
  EXPECT_EQ(obj.at("msg").as_string(), "m");
  EXPECT_EQ(obj.at("job_id").as_string(), "job_1");
  EXPECT_EQ(obj.at("field_msg").as_string(), "sneaky");
  EXPECT_EQ(obj.at("field_job_id").as_string(), "job_2");
  EXPECT_EQ(obj.at("field_level").as_int64(), 1);
}

TEST(LoggerTest, SecretFieldsAreRedacted) {
  Capture cap;
  Logger log(cap.Sink());
  log.Info("auth", {{"authorization", "Bearer abc.def.ghi"},
                    {"api_key", "sk-live-123"},
                    {"Admin-Token", "t0ps3cr3t"},
                    {"db_password", "hunter2"},
                    {"client_secret", 9876543210123},
                    {"route", "/v1/search"}});
  const std::string& line = cap.lines.at(0);
  for (const char* secret :
       {"abc.def.ghi", "sk-live-123", "t0ps3cr3t", "hunter2", "9876543210123"}) {
    EXPECT_EQ(line.find(secret), std::string::npos) << secret << " leaked: " << line;
  }
  auto obj = Parse(line);
  EXPECT_EQ(obj.at("authorization").as_string(), "[redacted]");
  EXPECT_EQ(obj.at("client_secret").as_string(), "[redacted]");
  EXPECT_EQ(obj.at("route").as_string(), "/v1/search");
}

TEST(LoggerTest, SecretsInFreeTextAreMasked) {
  EXPECT_EQ(MaskSecrets("Authorization: Bearer eyJhbGci.eyJzdWIi.sig-_x"),
            "Authorization: Bearer [redacted]");
  EXPECT_EQ(MaskSecrets("sent bearer abc123 to host"), "sent bearer [redacted] to host");
  EXPECT_EQ(MaskSecrets("basic dXNlcjpwYXNz"), "basic [redacted]");
  EXPECT_EQ(MaskSecrets("GET /x?token=abc&x=1"), "GET /x?token=[redacted]&x=1");
  EXPECT_EQ(MaskSecrets("{\"api_key\": \"sk-1\"}"), "{\"api_key\": \"[redacted]\"}");
  EXPECT_EQ(MaskSecrets("password=hunter2 user=bob"), "password=[redacted] user=bob");
  EXPECT_EQ(MaskSecrets("nothing to see, 3 tokens"), "nothing to see, 3 tokens");
  EXPECT_EQ(MaskSecrets("Bearer"), "Bearer");

  Capture cap;
  Logger log(cap.Sink());
  log.Warn("provider said: Bearer sk-abc rejected", {{"detail", "retry with token=xyz"}});
  EXPECT_EQ(cap.lines.at(0).find("sk-abc"), std::string::npos);
  EXPECT_EQ(cap.lines.at(0).find("xyz"), std::string::npos);
}

TEST(LoggerTest, IsSecretFieldName) {
  for (const char* k :
       {"authorization", "Authorization", "x-api-key", "apikey", "token", "refresh_token",
        "password", "passwd", "secret", "cookie", "set-cookie", "aws_credentials", "private_key"}) {
    EXPECT_TRUE(IsSecretFieldName(k)) << k;
  }
  for (const char* k : {"job_id", "route", "status", "bytes", "embed_version"}) {
    EXPECT_FALSE(IsSecretFieldName(k)) << k;
  }
}

TEST(LoggerTest, FdSinkWritesWholeLines) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  Logger log(FdSink(fds[1]));
  log.Info("via fd");
  close(fds[1]);
  char buf[512];
  ssize_t n = read(fds[0], buf, sizeof(buf));
  close(fds[0]);
  ASSERT_GT(n, 0);
  auto obj = Parse(std::string(buf, static_cast<size_t>(n)));
  EXPECT_EQ(obj.at("msg").as_string(), "via fd");
}

TEST(LoggerTest, FileSink) {
  FILE* f = tmpfile();
  ASSERT_NE(f, nullptr);
  Logger log(FileSink(f));
  log.Info("via file");
  rewind(f);
  char buf[512] = {};
  size_t n = fread(buf, 1, sizeof(buf) - 1, f);
  fclose(f);
  EXPECT_EQ(Parse(std::string(buf, n)).at("msg").as_string(), "via file");
}

// Runs under TSan: many threads, each with its own context, never produce a torn line.
TEST(LoggerConcurrencyTest, LinesNeverInterleave) {
  Capture cap;
  Logger log(cap.Sink());
  constexpr int kThreads = 8;
  constexpr int kLines = 500;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      ScopedLogContext ctx({.job_id = "job_" + std::to_string(t)});
      for (int i = 0; i < kLines; ++i) {
        log.Info("step done", {{"i", i}, {"thread", t}});
        if (i == kLines / 2) log.SetLevel(LogLevel::kInfo);
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_EQ(cap.lines.size(), size_t{kThreads} * kLines);
  for (const auto& line : cap.lines) {
    auto obj = Parse(line);
    EXPECT_EQ(obj.at("job_id").as_string(), "job_" + std::to_string(obj.at("thread").as_int64()));
  }
}

}  // namespace
}  // namespace scriptgen::obs
