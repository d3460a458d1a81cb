#include "pii/pii_scrubber.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace scriptgen::pii {
namespace {

using testing::HasSubstr;
using testing::Not;

constexpr std::string_view kKey = "0123456789abcdef-test-key";

PiiScrubber Make(std::string_view spec, std::string key = std::string(kKey)) {
  StatusOr<ScrubPolicy> policy = ParseScrubPolicy(spec);
  EXPECT_TRUE(policy.ok()) << policy.status().ToString();
  StatusOr<PiiScrubber> s = PiiScrubber::Create(*policy, std::move(key));
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return std::move(s).value();
}

TEST(ScrubPolicy, ParsesKindsAndOperators) {
  StatusOr<ScrubPolicy> p = ParseScrubPolicy(" email=mask, phone = pseudonym ,rrn=redact");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ((*p)[PiiKind::kEmail], PiiOperator::kMask);
  EXPECT_EQ((*p)[PiiKind::kPhone], PiiOperator::kPseudonym);
  EXPECT_EQ((*p)[PiiKind::kRrn], PiiOperator::kRedact);
  EXPECT_EQ((*p)[PiiKind::kUrl], PiiOperator::kPlaceholder);
  StatusOr<ScrubPolicy> all = ParseScrubPolicy("all=mask,url=placeholder");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ((*all)[PiiKind::kIp], PiiOperator::kMask);
  EXPECT_EQ((*all)[PiiKind::kUrl], PiiOperator::kPlaceholder);
  EXPECT_TRUE(ParseScrubPolicy("").ok());
  EXPECT_EQ(*ParseScrubPolicy(FormatScrubPolicy(*p)), *p);  // round trip
}

TEST(ScrubPolicy, ClearErrors) {
  struct Case {
    std::string spec, message_part;
  } cases[] = {
      {"emial=mask", "unknown PII kind 'emial'"},
      {"email=blur", "unknown PII operator 'blur'"},
      {"email", "is not kind=operator"},
      {"email=mask,,phone=mask", "empty entry"},
      {"email=mask,email=redact", "appears twice"},
  };
  for (const Case& c : cases) {
    StatusOr<ScrubPolicy> p = ParseScrubPolicy(c.spec);
    ASSERT_FALSE(p.ok()) << c.spec;
    EXPECT_EQ(p.status().code(), Code::kInvalidArgument);
    EXPECT_THAT(p.status().message(), HasSubstr(c.message_part)) << c.spec;
  }
}

TEST(PiiScrubber, PlaceholdersAndCounts) {
  ScrubResult r = Make("").Scrub("메일 kim@example.com, 전화 010-1234-5678, 010-9999-8888.");
  EXPECT_EQ(r.text, "메일 <EMAIL>, 전화 <PHONE>, <PHONE>.");
  EXPECT_EQ(r.counts[Index(PiiKind::kEmail)], 1u);
  EXPECT_EQ(r.counts[Index(PiiKind::kPhone)], 2u);
  EXPECT_EQ(r.total(), 3u);
}

TEST(PiiScrubber, MaskKeepsSeparators) {
  ScrubResult r = Make("all=mask").Scrub("전화 010-1234-5678 메일 kim@예시.한국");
  EXPECT_EQ(r.text, "전화 ***-****-**** 메일 ***@**.**");
}

TEST(PiiScrubber, RedactRemoves) {
  EXPECT_EQ(Make("phone=redact").Scrub("a 010-1234-5678 b").text, "a  b");
}

TEST(PiiScrubber, PseudonymStableAcrossCallsAndFormats) {
  PiiScrubber s = Make("phone=pseudonym,email=pseudonym");
  std::string a = s.Scrub("010-1234-5678").text;
  std::string b = s.Scrub("연락처 01012345678").text;
  ASSERT_THAT(a, testing::MatchesRegex("<PHONE:[0-9a-f]{8}>"));
  EXPECT_EQ(b, "연락처 " + a);  // same number, other format, other document: same token
  EXPECT_EQ(s.Scrub("KIM@example.com").text, s.Scrub("kim@example.com").text);
  EXPECT_NE(s.Scrub("010-1234-5679").text, a);
}

TEST(PiiScrubber, PseudonymDependsOnKeyAndKind) {
  std::string a = Make("phone=pseudonym").Scrub("010-1234-5678").text;
  std::string b = Make("phone=pseudonym", "another-key-of-16+bytes").Scrub("010-1234-5678").text;
  EXPECT_NE(a, b);
  EXPECT_NE(PseudonymToken(kKey, PiiKind::kPhone, "01012345678"),
            PseudonymToken(kKey, PiiKind::kBankAccount, "01012345678"));
}

TEST(PiiScrubber, PseudonymNeedsAKey) {
  StatusOr<PiiScrubber> s = PiiScrubber::Create(*ParseScrubPolicy("email=pseudonym"), "short");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Code::kInvalidArgument);
  EXPECT_TRUE(PiiScrubber::Create(*ParseScrubPolicy("email=mask"), "").ok());
}

TEST(PiiScrubber, NoOriginalValueSurvivesAnyOperator) {
  const std::string values[] = {"900101-1234568",      "kim@example.com", "010-1234-5678",
                                "4111 1111 1111 1111", "192.168.0.10",    "https://example.com/x",
                                "110-123-456789",      "M12345678",       "11-12-345678-90"};
  std::string text =
      "주민 900101-1234568 메일 kim@example.com 전화 010-1234-5678 카드 "
      "4111 1111 1111 1111 서버 192.168.0.10 링크 https://example.com/x "
      "신한은행 계좌 110-123-456789 여권번호 M12345678 운전면허 11-12-345678-90";
  for (std::string_view spec : {"all=placeholder", "all=mask", "all=pseudonym", "all=redact"}) {
    ScrubResult r = Make(spec).Scrub(text);
    EXPECT_EQ(r.total(), 9u) << spec << ": " << r.text;
    for (const std::string& v : values) EXPECT_THAT(r.text, Not(HasSubstr(v))) << spec;
  }
}

}  // namespace
}  // namespace scriptgen::pii
