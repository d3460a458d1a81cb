// PiiScrubber: replaces the personal data PiiDetector finds, one operator per kind (R-S2).
//
// Operators:
//   placeholder  "<EMAIL>", "<RRN>", "<PHONE>", ...                            (the default)
//   mask         every letter, digit and non-ASCII character becomes '*', separators stay:
//                "010-1234-5678" -> "***-****-****", "kim@example.com" -> "***@*******.***"
//   pseudonym    "<EMAIL:3f2a9c1b>": the first 32 bits of HMAC-SHA256(key, kind, value). The same
//                value gives the same token in every document scrubbed with the same key, so
//                scrubbed text keeps "who is who" without the value; without the key it can not
//                be reversed or confirmed by hashing guesses (never an unsalted hash). Values are
//                normalised first (digits only for numbers, lower case for e-mail), so
//                "010-1234-5678" and "01012345678" get the same token.
//   redact       removed entirely.
//
// Policies are parsed from strings such as "email=mask,phone=pseudonym,rrn=redact" (kinds not
// named keep the placeholder; "all=mask" sets every kind, later entries override it). The
// scrubber never stores, logs or returns original values: ScrubResult carries only the scrubbed
// text and per-kind counts.
//
//   StatusOr<ScrubPolicy> policy = ParseScrubPolicy("email=pseudonym");
//   if (!policy.ok()) return policy.status();
//   StatusOr<PiiScrubber> scrubber = PiiScrubber::Create(*policy, key_from_secret_store);
//   if (!scrubber.ok()) return scrubber.status();
//   ScrubResult r = scrubber->Scrub(text);   // thread-safe, const
//   RecordCounts(r.counts);
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "pii/pii_detector.h"
#include "pii/pii_kind.h"
#include "util/status.h"

namespace scriptgen::pii {

enum class PiiOperator : uint8_t { kPlaceholder, kMask, kPseudonym, kRedact };

// "placeholder", "mask", "pseudonym", "redact".
std::string_view PiiOperatorName(PiiOperator op);

struct ScrubPolicy {
  std::array<PiiOperator, kPiiKindCount> op{};  // all kPlaceholder

  PiiOperator& operator[](PiiKind kind) { return op[Index(kind)]; }
  PiiOperator operator[](PiiKind kind) const { return op[Index(kind)]; }
  bool Uses(PiiOperator o) const;
  friend bool operator==(const ScrubPolicy&, const ScrubPolicy&) = default;
};

// "kind=operator[,kind=operator...]"; whitespace around tokens is ignored; "" is the default
// policy; "all" sets every kind. InvalidArgument names the offending entry for an unknown kind or
// operator, a missing '=', or a kind given twice.
StatusOr<ScrubPolicy> ParseScrubPolicy(std::string_view spec);
// Canonical form of a policy, every kind listed: "rrn=placeholder,email=mask,...".
std::string FormatScrubPolicy(const ScrubPolicy& policy);

struct ScrubResult {
  std::string text;
  PiiCounts counts{};
  uint64_t total() const;
};

class PiiScrubber {
 public:
  // Pseudonym keys must be at least this long (bytes); they come from the server's secret store.
  static constexpr size_t kMinKeyBytes = 16;

  // InvalidArgument when the policy uses pseudonym and the key is shorter than kMinKeyBytes.
  // The detector must outlive the scrubber.
  static StatusOr<PiiScrubber> Create(const ScrubPolicy& policy, std::string pseudonym_key = "",
                                      const PiiDetector& detector = PiiDetector::Default());

  const ScrubPolicy& policy() const { return policy_; }

  ScrubResult Scrub(std::string_view text) const;

  // Building block for streaming callers that run the detector themselves: appends the
  // replacement for finding f of text to out.
  void AppendReplacement(std::string_view text, const PiiFinding& f, std::string* out) const;

 private:
  PiiScrubber(const ScrubPolicy& policy, std::string key, const PiiDetector& detector)
      : policy_(policy), key_(std::move(key)), detector_(&detector) {}

  ScrubPolicy policy_;
  std::string key_;
  const PiiDetector* detector_;
};

// Exposed for tests: the 8-hex-digit token of a value ("3f2a9c1b").
std::string PseudonymToken(std::string_view key, PiiKind kind, std::string_view value);

}  // namespace scriptgen::pii
