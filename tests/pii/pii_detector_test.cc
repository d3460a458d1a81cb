#include "pii/pii_detector.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pii_test_util.h"

namespace scriptgen::pii {
namespace {

using testing::ElementsAre;
using testing::IsEmpty;
using testing_util::FindAll;
using testing_util::Found;
using testing_util::WithLuhn;
using testing_util::WithRrnCheck;

// Expects text to contain exactly one finding, of kind, equal to value.
void ExpectOne(std::string_view text, std::string_view kind, std::string_view value) {
  EXPECT_THAT(FindAll(text), ElementsAre(Found{std::string(kind), std::string(value)})) << text;
}
void ExpectNone(std::string_view text) {
  EXPECT_THAT(FindAll(text), IsEmpty()) << text;
}

TEST(PiiDetector, RrnWithAndWithoutHyphen) {
  std::string rrn = WithRrnCheck("900101123456");
  std::string hyphen = rrn.substr(0, 6) + "-" + rrn.substr(6);
  ExpectOne("주민등록번호: " + hyphen + " 입니다", "rrn", hyphen);
  ExpectOne("RRN " + rrn, "rrn", rrn);
  // Hyphenated, valid date, wrong check digit: still reported (post-2020 numbers lack one).
  std::string wrong = hyphen.substr(0, 13) + static_cast<char>('0' + (hyphen[13] - '0' + 1) % 10);
  ExpectOne("번호 " + wrong, "rrn", wrong);
}

TEST(PiiDetector, RrnNegatives) {
  ExpectNone("991332-1234567");               // month 13
  ExpectNone("900230-1234567");               // 30 February
  ExpectNone("900101-9234567x");              // letter glued on
  ExpectNone("8801234567890 바코드");         // EAN-13 shape without check digit or context
  ExpectNone("법인등록번호 110111-1234567");  // corporate number, same shape
  ExpectNone("1900101-1234567");              // part of a longer digit run
}

TEST(PiiDetector, RecentRrnWithoutCheckDigit) {
  ExpectOne("2110033987654", "rrn", "2110033987654");  // born 2021-10-03, random tail
}

TEST(PiiDetector, Email) {
  ExpectOne("메일은 hong.gildong+news@example.co.kr 로 보내세요", "email",
            "hong.gildong+news@example.co.kr");
  ExpectOne("(kim_01@example.org)", "email", "kim_01@example.org");
  ExpectOne("연락: kim@예시.한국", "email", "kim@예시.한국");
  ExpectNone("icon@2x.png");
  ExpectNone("@username 님 안녕하세요");
  ExpectNone("user@localhost");
}

TEST(PiiDetector, Url) {
  ExpectOne("see https://example.com/a/b?x=1&y=2.", "url", "https://example.com/a/b?x=1&y=2");
  ExpectOne("(http://example.org/path)", "url", "http://example.org/path");
  ExpectOne("사이트 www.example.com에서 확인", "url", "www.example.com");
  ExpectOne("주소는 http://한글도메인.한국/안내 입니다", "url", "http://한글도메인.한국/");
  ExpectOne("ftp://files.example.net:2121/pub", "url", "ftp://files.example.net:2121/pub");
  ExpectOne("http://192.168.0.10:8080/admin", "url", "http://192.168.0.10:8080/admin");
  ExpectNone("example.com alone is a domain, not a URL");
}

TEST(PiiDetector, KoreanPhones) {
  ExpectOne("휴대폰 010-1234-5678 로 연락", "phone", "010-1234-5678");
  ExpectOne("010.1234.5678", "phone", "010.1234.5678");
  ExpectOne("010 1234 5678", "phone", "010 1234 5678");
  ExpectOne("01012345678", "phone", "01012345678");
  ExpectOne("011-123-4567", "phone", "011-123-4567");
  ExpectOne("(02) 123-4567", "phone", "(02) 123-4567");
  ExpectOne("02-1234-5678", "phone", "02-1234-5678");
  ExpectOne("031-123-4567", "phone", "031-123-4567");
  ExpectOne("070-1234-5678", "phone", "070-1234-5678");
  ExpectOne("고객센터 1588-1234", "phone", "1588-1234");
  ExpectOne("+82-10-1234-5678", "phone", "+82-10-1234-5678");
  ExpectOne("+82 (0)2 123 4567", "phone", "+82 (0)2 123 4567");
  ExpectOne("call +1 415 555 0100 now", "phone", "+1 415 555 0100");
  ExpectOne("+44 20 7946 0958", "phone", "+44 20 7946 0958");
}

TEST(PiiDetector, PhoneNegatives) {
  ExpectNone("010-123-4567");      // 010 numbers have a 4-digit middle
  ExpectNone("1800-1900년대");     // year range
  ExpectNone("1500-2000원");       // price range
  ExpectNone("05-1234-5678");      // no such prefix
  ExpectNone("1010-1234-5678");    // longer run
  ExpectNone("+82 99 1234 5678");  // no such Korean prefix
}

TEST(PiiDetector, CreditCards) {
  ExpectOne("카드 4111 1111 1111 1111 승인", "credit_card", "4111 1111 1111 1111");
  ExpectOne("5500-0000-0000-0004", "credit_card", "5500-0000-0000-0004");
  ExpectOne("Amex 3782 822463 10005", "credit_card", "3782 822463 10005");
  ExpectOne(WithLuhn("601100000000001"), "credit_card", WithLuhn("601100000000001"));
  ExpectNone("4111 1111 1111 1112");  // Luhn
  ExpectNone("1234-5678-9012-3456");  // Luhn / issuer
  ExpectNone("9411-1111-1111-1119");  // no issuer
}

TEST(PiiDetector, IpAddresses) {
  ExpectOne("서버 IP 192.168.10.25 에 접속", "ip", "192.168.10.25");
  ExpectOne("from 203.0.113.7:8080", "ip", "203.0.113.7");
  ExpectOne("DNS 8.8.8.8", "ip", "8.8.8.8");
  ExpectOne("addr 2001:db8::8a2e:370:7334 up", "ip", "2001:db8::8a2e:370:7334");
  ExpectOne("loopback ::1.", "ip", "::1");
  ExpectOne("2001:0db8:85a3:0000:0000:8a2e:0370:7334", "ip",
            "2001:0db8:85a3:0000:0000:8a2e:0370:7334");
  ExpectNone("version 2.10.3.1 released");
  ExpectNone("업데이트 1.2.3.4 배포");
  ExpectNone("OID 1.3.6.1.4.1.311");
  ExpectNone("999.1.1.1");
  ExpectNone("회의 12:30:45 시작");
  ExpectNone("std::string::npos");
  ExpectNone("MAC 00:1A:2B:3C:4D:5E");
}

TEST(PiiDetector, ContextGatedKinds) {
  ExpectOne("국민은행 계좌 123456-01-234567 로 입금", "bank_account", "123456-01-234567");
  ExpectOne("account no. 110-123-456789", "bank_account", "110-123-456789");
  ExpectNone("주문번호 110-123-456789");
  ExpectNone("계좌 말고 사업자등록번호 123-45-67890");
  ExpectNone("110-123-456789");
  ExpectOne("여권번호 M12345678", "passport", "M12345678");
  ExpectOne("Passport: M123A4567", "passport", "M123A4567");
  ExpectNone("모델 M12345678");
  ExpectNone("M12345678");
  ExpectOne("운전면허번호 11-12-345678-90", "driver_license", "11-12-345678-90");
  ExpectOne("운전면허 서울 12-345678-90", "driver_license", "서울 12-345678-90");
  ExpectNone("운전면허 99-12-345678-90");  // no such region
  ExpectNone("11-12-345678-90");
}

TEST(PiiDetector, AdjacentAndUnicodeNeighbours) {
  std::string text = "연락처:010-1111-2222,010-3333-4444;kim@example.com(홍길동)";
  EXPECT_THAT(FindAll(text),
              ElementsAre(Found{"phone", "010-1111-2222"}, Found{"phone", "010-3333-4444"},
                          Found{"email", "kim@example.com"}));
}

TEST(PiiDetector, OverlappingCandidatesResolveToOneSpan) {
  // 13 digits: RRN shape and card shape both start here; the better one wins, once.
  std::string rrn = WithRrnCheck("900101123456");
  std::vector<PiiFinding> f = PiiDetector::Default().Detect("번호 " + rrn);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].kind, PiiKind::kRrn);
  // A URL containing an e-mail address and an IP is one URL.
  ExpectOne("https://example.com/u?mail=kim@example.com&ip=10.0.0.1", "url",
            "https://example.com/u?mail=kim@example.com&ip=10.0.0.1");
  // A mobile number with bank context is still a phone (the stronger kind).
  ExpectOne("계좌 대신 010-1234-5678", "phone", "010-1234-5678");
}

TEST(PiiDetector, NoOverlapsAndSortedOnNoisyText) {
  std::string text;
  for (int i = 0; i < 200; ++i) {
    text += "행 " + std::to_string(i) + ": 010-" + std::to_string(1000 + i) + "-5678 " +
            std::to_string(i * 7919) + "." + std::to_string(i) + ".1.2 kim" + std::to_string(i) +
            "@example.com 계좌 " + std::to_string(100000 + i) + "-01-234567\n";
  }
  std::vector<PiiFinding> f = PiiDetector::Default().Detect(text);
  ASSERT_FALSE(f.empty());
  for (size_t i = 1; i < f.size(); ++i) EXPECT_LE(f[i - 1].end, f[i].start);
}

TEST(PiiDetector, OffsetsAreUtf8Bytes) {
  std::string text = "한글 kim@example.com";
  std::vector<PiiFinding> f = PiiDetector::Default().Detect(text);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].start, 7u);  // two 3-byte syllables and a space
  EXPECT_EQ(f[0].end, text.size());
}

TEST(PiiDetector, ScanRangeAndDisabledKinds) {
  std::string text = "kim@example.com 010-1234-5678";
  std::vector<PiiFinding> f = PiiDetector::Default().Detect(text, 5, text.size());
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].kind, PiiKind::kPhone);
  DetectorOptions only_email;
  only_email.kinds.reset();
  only_email.kinds.set(Index(PiiKind::kEmail));
  PiiDetector detector(only_email);
  f = detector.Detect(text);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].kind, PiiKind::kEmail);
}

TEST(PiiDetector, InvalidUtf8NeverCrashes) {
  std::string text = "\xff\xfe 010-1234-5678 \xc3";
  EXPECT_EQ(PiiDetector::Default().Detect(text).size(), 1u);
}

}  // namespace
}  // namespace scriptgen::pii
