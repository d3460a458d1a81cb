#include "pii/secret_scanner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace scriptgen::pii {
namespace {

using testing::HasSubstr;
using testing::Not;

// Synthetic credentials assembled at run time so the source never contains a token-shaped
// literal (and secret scanners pointed at this repository stay quiet).
std::string Rep(std::string_view unit, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += unit;
  return s;
}
std::string Joined(std::initializer_list<std::string_view> parts) {
  std::string s;
  for (std::string_view p : parts) s += p;
  return s;
}

struct Named {
  std::string kind, value;
  friend bool operator==(const Named&, const Named&) = default;
};
std::ostream& operator<<(std::ostream& os, const Named& n) {
  return os << n.kind << ":" << n.value;
}

std::vector<Named> ScanAll(std::string_view text) {
  std::vector<Named> out;
  for (const SecretFinding& f : SecretScanner::Default().Scan(text)) {
    out.push_back(
        {std::string(SecretKindName(f.kind)), std::string(text.substr(f.start, f.end - f.start))});
  }
  return out;
}

void ExpectOne(std::string_view text, std::string_view kind, std::string_view value) {
  EXPECT_THAT(ScanAll(text), testing::ElementsAre(Named{std::string(kind), std::string(value)}))
      << text;
}

const std::string kRandom40 = "q8Vt2LmZx7Rk4Np0Wc9Yb6Hs1Jd3Gf5Ta8Ue2Io7";  // 40 mixed chars

TEST(SecretScanner, PemPrivateKeyBlock) {
  std::string pem =
      Joined({"-----BEGIN RSA ", "PRIVATE KEY-----\n", Rep("MIIEowIBAAKCAQEA", 4), "\n",
              Rep("abcdEFGH1234+/==", 4), "\n-----END RSA ", "PRIVATE KEY-----"});
  ExpectOne("config:\n" + pem + "\nafter text", "private_key", pem);
  // Truncated: the block runs through its base64 lines and stops at prose.
  std::string head = Joined({"-----BEGIN ", "PRIVATE KEY-----\n", Rep("MIIEowIBAAKCAQEA", 4)});
  ExpectOne(head + "\nand then some prose", "private_key", head);
}

TEST(SecretScanner, CloudAndSaasTokens) {
  std::string akia = Joined({"AKIA", "IOSFODNN7EXAMPL1"});
  ExpectOne("aws key " + akia + " here", "aws_access_key", akia);
  ExpectOne("aws_secret_access_key = " + kRandom40, "aws_secret_key", kRandom40);
  std::string ghp = Joined({"ghp", "_", Rep("aB3dE5", 6)});
  ExpectOne("token: " + ghp, "github_token", ghp);
  std::string pat = Joined({"github", "_pat_", Rep("11AbCdEf_", 4)});
  ExpectOne(pat, "github_token", pat);
  std::string slack = Joined({"xox", "b-", "123456789012-", "abcDEF123456"});
  ExpectOne("SLACK " + slack, "slack_token", slack);
  std::string openai = Joined({"sk", "-proj-", "Ab3De5Gh7Jk9Lm1Np3Qr5St7Vw9Xz"});
  ExpectOne("OPENAI " + openai, "openai_key", openai);
  std::string stripe = Joined({"sk", "_live_", "4eC39HqLyjWDarjtT1zdp7dc"});
  ExpectOne("stripe " + stripe, "stripe_key", stripe);
}

TEST(SecretScanner, GcpServiceAccountJsonValueOnly) {
  std::string value = Joined({"-----BEGIN ", "PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC",
                              "\\n-----END ", "PRIVATE KEY-----\\n"});
  std::string json = "{\"type\": \"service_account\", \"private_key\": \"" + value + "\"}";
  ExpectOne(json, "gcp_service_account", value);
  SecretRedaction r = SecretScanner::Default().Redact(json);
  EXPECT_EQ(r.text,
            "{\"type\": \"service_account\", \"private_key\": \"<SECRET:gcp_service_account>\"}");
}

TEST(SecretScanner, Jwt) {
  // {"alg":"HS256","typ":"JWT"} . {"sub":"1234567890"} . signature
  std::string jwt =
      Joined({"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9", ".", "eyJzdWIiOiIxMjM0NTY3ODkwIn0", ".",
              "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"});
  ExpectOne("Authorization: Bearer " + jwt, "jwt", jwt);
  // Three eyJ segments whose header is not a JWT header.
  {
    std::string fake = "eyJmb28iOiJiYXIifQ.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abcdefghijklmnop";
    EXPECT_TRUE(ScanAll(fake).empty());
  }
}

TEST(SecretScanner, GenericAssignmentsNeedRandomValues) {
  std::string value = "Zr8#kq2LmP9x";
  ExpectOne("DB_PASSWORD=" + value, "generic_secret", value);
  ExpectOne("api_key: \"" + kRandom40 + "\"", "generic_secret", kRandom40);
  ExpectOne("{\"client_secret\": \"" + value + "\"}", "generic_secret", value);
  EXPECT_TRUE(ScanAll("password=changeme123").empty());
  EXPECT_TRUE(ScanAll("password: ${DB_PASSWORD}").empty());
  EXPECT_TRUE(ScanAll("api_key = <your-api-key-here>").empty());
  EXPECT_TRUE(ScanAll("password=aaaaaaaaaa").empty());  // low entropy
  EXPECT_TRUE(ScanAll("the password field must be at least 8 characters").empty());
  // A generic value that is a known token keeps its specific kind.
  std::string stripe = Joined({"sk", "_test_", "4eC39HqLyjWDarjtT1zdp7dc"});
  ExpectOne("STRIPE_API_KEY=" + stripe, "stripe_key", stripe);
}

TEST(SecretScanner, Negatives) {
  EXPECT_TRUE(ScanAll("AKIA is a prefix; AKIAshort; the sk-learn library; xoxb- alone").empty());
  EXPECT_TRUE(ScanAll("-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A\n").empty());
  EXPECT_TRUE(ScanAll("git commit 3f2a9c1b4d5e6f708192a3b4c5d6e7f8091a2b3c").empty());
  EXPECT_TRUE(ScanAll("안녕하세요, 비밀번호를 잊으셨나요?").empty());
  EXPECT_TRUE(ScanAll("pk_live_ publishable keys are public").empty());
}

TEST(SecretScanner, RedactCountsAndPolicies) {
  std::string akia = Joined({"AKIA", "IOSFODNN7EXAMPL1"});
  std::string ghp = Joined({"ghp", "_", Rep("aB3dE5", 6)});
  std::string text = "keys: " + akia + ", " + ghp + ", again " + akia;
  SecretRedaction r = SecretScanner::Default().Redact(text);
  EXPECT_EQ(r.text,
            "keys: <SECRET:aws_access_key>, <SECRET:github_token>, again <SECRET:aws_access_key>");
  EXPECT_EQ(r.counts[static_cast<size_t>(SecretKind::kAwsAccessKey)], 2u);
  EXPECT_EQ(r.total(), 3u);

  StatusOr<SecretRedaction> refused = ApplySecretPolicy(text, SecretPolicy::kRefuse);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(refused.status().message(), HasSubstr("aws_access_key=2"));
  EXPECT_THAT(refused.status().message(), Not(HasSubstr(akia)));
  StatusOr<SecretRedaction> clean = ApplySecretPolicy("nothing secret", SecretPolicy::kRefuse);
  ASSERT_TRUE(clean.ok());
  EXPECT_EQ(clean->text, "nothing secret");
  EXPECT_TRUE(ParseSecretPolicy("refuse").ok());
  EXPECT_FALSE(ParseSecretPolicy("ignore").ok());
}

TEST(SecretScanner, Entropy) {
  EXPECT_DOUBLE_EQ(ShannonEntropy("aaaa"), 0.0);
  EXPECT_DOUBLE_EQ(ShannonEntropy("abcd"), 2.0);
}

}  // namespace
}  // namespace scriptgen::pii
