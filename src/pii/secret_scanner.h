// SecretScanner: finds credentials in uploaded content (R-S4) so they are never embedded, indexed
// or shown in search results.
//
// Kinds (names are stable, used in counts and in the "<SECRET:kind>" replacement):
//   private_key          PEM "-----BEGIN ... PRIVATE KEY-----" block, through its END line (or,
//                        when truncated, through the base64 body)
//   aws_access_key       AKIA/ASIA (and other IAM prefixes) + 16 upper-case alphanumerics
//   aws_secret_key       40-character secret after an aws_secret_access_key-style name
//   gcp_service_account  the "private_key" value of a service-account JSON file
//   github_token         ghp_/gho_/ghu_/ghs_/ghr_ tokens and github_pat_ fine-grained tokens
//   slack_token          xoxb-/xoxp-/xoxa-/xoxr-/xoxs- tokens
//   openai_key           sk-... (including sk-proj-...) keys
//   stripe_key           sk_live_/sk_test_/rk_live_/rk_test_ keys
//   jwt                  three base64url segments whose header decodes to JSON with "alg"
//   generic_secret       the value of password=/passwd:/api_key=/token: ... assignments when it
//                        looks random (Shannon entropy >= 3 bits per character, not a placeholder)
//
// Findings carry kind and byte range only; the scanner never logs or returns the values. For
// assignment-style kinds (aws_secret_key, gcp_service_account, generic_secret) the range covers
// the value only, so "api_key = <SECRET:generic_secret>" keeps the document readable.
//
// Construct once and share (Default()); Scan and Redact are const and thread-safe.
//
//   StatusOr<SecretRedaction> r = ApplySecretPolicy(text, SecretPolicy::kRefuse);
//   if (!r.ok()) return r.status();   // InvalidArgument naming the kinds and counts, no values
//   Store(r->text);
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace scriptgen::pii {

namespace internal {
class CandidateScanner;
}

enum class SecretKind : uint8_t {
  kPrivateKey = 0,
  kAwsAccessKey,
  kAwsSecretKey,
  kGcpServiceAccount,
  kGithubToken,
  kSlackToken,
  kOpenAiKey,
  kStripeKey,
  kJwt,
  kGenericSecret,
};
inline constexpr size_t kSecretKindCount = 10;
using SecretCounts = std::array<uint64_t, kSecretKindCount>;

std::string_view SecretKindName(SecretKind kind);

struct SecretFinding {
  SecretKind kind;
  size_t start;  // byte offsets into the scanned text
  size_t end;
};

struct SecretRedaction {
  std::string text;  // secrets replaced by "<SECRET:kind>"
  SecretCounts counts{};
  uint64_t total() const;
};

class SecretScanner {
 public:
  SecretScanner();
  ~SecretScanner();
  SecretScanner(const SecretScanner&) = delete;
  SecretScanner& operator=(const SecretScanner&) = delete;

  static const SecretScanner& Default();

  // Non-overlapping findings in ascending order.
  std::vector<SecretFinding> Scan(std::string_view text) const;
  SecretRedaction Redact(std::string_view text) const;

 private:
  std::unique_ptr<internal::CandidateScanner> scanner_;
};

enum class SecretPolicy : uint8_t { kRedact, kRefuse };

// "redact" or "refuse"; InvalidArgument otherwise.
StatusOr<SecretPolicy> ParseSecretPolicy(std::string_view name);

// kRedact: the redacted text. kRefuse: the unchanged text when there is no secret, else
// InvalidArgument "content contains secrets (aws_access_key=1, private_key=1); refused by policy".
StatusOr<SecretRedaction> ApplySecretPolicy(
    std::string_view text, SecretPolicy policy,
    const SecretScanner& scanner = SecretScanner::Default());

// Exposed for tests: Shannon entropy of s in bits per byte.
double ShannonEntropy(std::string_view s);

}  // namespace scriptgen::pii
