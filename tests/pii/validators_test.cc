#include "pii/validators.h"

#include <gtest/gtest.h>

namespace scriptgen::pii::validate {
namespace {

TEST(Validators, DatesIncludingLeapYears) {
  EXPECT_TRUE(IsValidDate(2000, 2, 29));
  EXPECT_FALSE(IsValidDate(1900, 2, 29));
  EXPECT_TRUE(IsValidDate(2024, 2, 29));
  EXPECT_FALSE(IsValidDate(2023, 2, 29));
  EXPECT_FALSE(IsValidDate(2023, 4, 31));
  EXPECT_FALSE(IsValidDate(2023, 13, 1));
  EXPECT_FALSE(IsValidDate(2023, 0, 1));
}

TEST(Validators, RrnChecksumAndCentury) {
  // 800101-1 23456 + check digit computed with weights 2..9,2..5.
  RrnCheck ok = CheckRrn("8001011234568");
  EXPECT_TRUE(ok.shape_ok);
  EXPECT_FALSE(ok.rare_century);
  RrnCheck bad_date = CheckRrn("8013011234567");
  EXPECT_FALSE(bad_date.shape_ok);
  RrnCheck recent = CheckRrn("2111033123456");
  EXPECT_TRUE(recent.shape_ok);
  EXPECT_TRUE(recent.recent);
  EXPECT_FALSE(CheckRrn("0002293000000").shape_ok == false);  // 2000-02-29 exists
  EXPECT_FALSE(CheckRrn("0102293000000").shape_ok);           // 2001-02-29 does not
  EXPECT_TRUE(CheckRrn("9001019000000").rare_century);
}

TEST(Validators, RrnChecksumMatchesFormula) {
  std::string d = "900101123456";
  int w[] = {2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5};
  int sum = 0;
  for (int i = 0; i < 12; ++i) sum += (d[i] - '0') * w[i];
  char check = static_cast<char>('0' + (11 - sum % 11) % 10);
  EXPECT_TRUE(CheckRrn(d + check).checksum_ok);
  EXPECT_FALSE(CheckRrn(d + static_cast<char>('0' + (check - '0' + 1) % 10)).checksum_ok);
}

TEST(Validators, Luhn) {
  EXPECT_TRUE(LuhnValid("4111111111111111"));
  EXPECT_TRUE(LuhnValid("5500000000000004"));
  EXPECT_TRUE(LuhnValid("378282246310005"));
  EXPECT_FALSE(LuhnValid("4111111111111112"));
  EXPECT_FALSE(LuhnValid(""));
}

TEST(Validators, IssuerRanges) {
  EXPECT_TRUE(KnownCardIin("4111111111111111"));
  EXPECT_TRUE(KnownCardIin("5500000000000004"));
  EXPECT_TRUE(KnownCardIin("2221000000000009"));
  EXPECT_TRUE(KnownCardIin("378282246310005"));
  EXPECT_TRUE(KnownCardIin("6011111111111117"));
  EXPECT_TRUE(KnownCardIin("3530111333300000"));
  EXPECT_TRUE(KnownCardIin("30569309025904"));
  EXPECT_FALSE(KnownCardIin("9411111111111111"));    // no international issuer
  EXPECT_FALSE(KnownCardIin("371111111111111111"));  // Amex is 15 digits
  EXPECT_FALSE(KnownCardIin("1234567812345670"));
}

TEST(Validators, Ipv4) {
  EXPECT_TRUE(IsValidIpv4("192.168.0.1"));
  EXPECT_TRUE(IsValidIpv4("255.255.255.255"));
  EXPECT_TRUE(IsValidIpv4("0.0.0.0"));
  EXPECT_FALSE(IsValidIpv4("256.1.1.1"));
  EXPECT_FALSE(IsValidIpv4("192.168.01.1"));
  EXPECT_FALSE(IsValidIpv4("1.2.3"));
  EXPECT_FALSE(IsValidIpv4("1.2.3.4.5"));
}

TEST(Validators, Ipv6) {
  EXPECT_TRUE(IsValidIpv6("2001:0db8:85a3:0000:0000:8a2e:0370:7334"));
  EXPECT_TRUE(IsValidIpv6("2001:db8::1"));
  EXPECT_TRUE(IsValidIpv6("::1"));
  EXPECT_TRUE(IsValidIpv6("fe80::"));
  EXPECT_TRUE(IsValidIpv6("::ffff:192.0.2.128"));
  EXPECT_FALSE(IsValidIpv6("::"));
  EXPECT_FALSE(IsValidIpv6("12:30:45"));
  EXPECT_FALSE(IsValidIpv6("1::2::3"));
  EXPECT_FALSE(IsValidIpv6("dead::beef"));  // hex words without digits
  EXPECT_FALSE(IsValidIpv6("1:2:3:4:5:6:7:8:9"));
  EXPECT_FALSE(IsValidIpv6("12345::1"));
}

TEST(Validators, NumericBoundary) {
  std::string_view t = "a 010 b";
  EXPECT_TRUE(NumericBoundaryOk(t, 2, 5));
  EXPECT_FALSE(NumericBoundaryOk("x010", 1, 4));
  EXPECT_FALSE(NumericBoundaryOk("1-010", 2, 5));
  EXPECT_TRUE(NumericBoundaryOk("010.", 0, 3));
  EXPECT_FALSE(NumericBoundaryOk("010.5", 0, 3));
  EXPECT_TRUE(NumericBoundaryOk("전화010끝", 6, 9));
}

TEST(Validators, ContextClosestWordWins) {
  constexpr std::string_view pos[] = {"계좌", "account"};
  constexpr std::string_view neg[] = {"주문"};
  std::string t = "계좌 확인 후 주문번호 123";
  size_t s = t.find("123");
  EXPECT_EQ(ContextVerdict(t, s, s + 3, pos, neg), Context::kNegative);
  t = "주문 후 입금 Account: 123";
  s = t.find("123");
  EXPECT_EQ(ContextVerdict(t, s, s + 3, pos, neg), Context::kPositive);
  t = "nothing here 123 (account)";
  s = t.find("123");
  EXPECT_EQ(ContextVerdict(t, s, s + 3, pos, neg), Context::kPositiveAfter);
  t = "nothing here 123";
  s = t.find("123");
  EXPECT_EQ(ContextVerdict(t, s, s + 3, pos, neg), Context::kNone);
}

}  // namespace
}  // namespace scriptgen::pii::validate
