#include "pii/pii_cli.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

namespace scriptgen::pii {
namespace {

using testing::HasSubstr;
using testing::Not;

// A few hundred lines of mixed text, with values straddling every block boundary position.
std::string MixedText() {
  std::string t;
  for (int i = 0; i < 120; ++i) {
    t += "줄 " + std::to_string(i) + " 연락처 010-" + std::to_string(1000 + i) + "-5678, 메일 kim" +
         std::to_string(i) + "@example.com";
    if (i % 3 == 0) t += " 서버 192.168.0." + std::to_string(i);
    if (i % 4 == 0) t += " 국민은행 계좌 123456-01-" + std::to_string(200000 + i);
    if (i % 5 == 0) t += " https://example.org/p/" + std::to_string(i) + "?q=1";
    if (i % 7 == 0) t += " 4111 1111 1111 1111 and 010 2222 3333 ";  // spaces inside values
    t += i % 11 == 0 ? " " : "\n";  // some long lines without newline
  }
  return t;
}

std::string WholeInputScan(const std::string& text) {
  std::ostringstream out;
  for (const PiiFinding& f : PiiDetector::Default().Detect(text)) {
    char conf[16];
    std::snprintf(conf, sizeof conf, "%.2f", f.confidence);
    out << "{\"kind\":\"" << PiiKindName(f.kind) << "\",\"start\":" << f.start
        << ",\"end\":" << f.end << ",\"confidence\":" << conf << "}\n";
  }
  return out.str();
}

TEST(PiiCli, ScanPrintsJsonLinesWithoutValues) {
  std::istringstream in("메일 kim@example.com\n");
  std::ostringstream out, err;
  EXPECT_EQ(RunPiiScan(in, out, err, {}), 0);
  EXPECT_EQ(out.str(), "{\"kind\":\"email\",\"start\":7,\"end\":22,\"confidence\":0.95}\n");
  EXPECT_THAT(out.str(), Not(HasSubstr("kim")));
  EXPECT_EQ(err.str(), "");
}

TEST(PiiCli, StreamingOffsetsEqualWholeInputOffsets) {
  std::string text = MixedText();
  std::string expected = WholeInputScan(text);
  ASSERT_FALSE(expected.empty());
  for (size_t block : {1, 7, 64, 1000, 1 << 20}) {
    for (size_t lookahead : {64, 200}) {
      ScanOptions opts;
      opts.block_size = block;
      opts.lookahead = lookahead;
      std::istringstream in(text);
      std::ostringstream out, err;
      ASSERT_EQ(RunPiiScan(in, out, err, opts), 0);
      EXPECT_EQ(out.str(), expected) << "block " << block << " lookahead " << lookahead;
    }
  }
}

TEST(PiiCli, StreamingScrubEqualsWholeInputScrub) {
  std::string text = MixedText();
  ScanOptions opts;
  opts.policy = *ParseScrubPolicy("email=pseudonym,phone=mask,ip=redact");
  opts.pseudonym_key = "cli-test-key-0123456789";
  std::string expected = PiiScrubber::Create(opts.policy, opts.pseudonym_key)->Scrub(text).text;
  for (size_t block : {1, 7, 333, 1 << 20}) {
    opts.block_size = block;
    opts.lookahead = 128;
    std::istringstream in(text);
    std::ostringstream out, err;
    ASSERT_EQ(RunPiiScrub(in, out, err, opts), 0) << err.str();
    EXPECT_EQ(out.str(), expected) << "block " << block;
  }
}

TEST(PiiCli, ScrubSummaryAndErrors) {
  ScanOptions opts;
  opts.summary = true;
  std::istringstream in("a 010-1234-5678 b");
  std::ostringstream out, err;
  EXPECT_EQ(RunPiiScrub(in, out, err, opts), 0);
  EXPECT_EQ(out.str(), "a <PHONE> b");
  EXPECT_THAT(err.str(), HasSubstr("phone=1"));

  opts.policy = *ParseScrubPolicy("email=pseudonym");
  std::istringstream in2("x");
  std::ostringstream out2, err2;
  EXPECT_EQ(RunPiiScrub(in2, out2, err2, opts), 2);
  EXPECT_THAT(err2.str(), HasSubstr("pii scrub:"));
  EXPECT_THAT(err2.str(), HasSubstr(kPiiKeyEnvVar));

  std::ostringstream out3, err3;
  EXPECT_EQ(RunPiiScanPath("/nonexistent/pii-input.txt", out3, err3, {}), 1);
  EXPECT_THAT(err3.str(), HasSubstr("cannot open"));
}

TEST(PiiCli, EmptyInput) {
  std::istringstream in("");
  std::ostringstream out, err;
  EXPECT_EQ(RunPiiScan(in, out, err, {}), 0);
  EXPECT_EQ(out.str(), "");
}

}  // namespace
}  // namespace scriptgen::pii
