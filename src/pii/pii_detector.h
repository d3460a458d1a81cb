// PiiDetector: finds personal data of the nine PiiKinds in UTF-8 text (R-S2).
//
// Detect() returns non-overlapping findings in ascending byte order. Offsets are byte offsets into
// the UTF-8 input, so text.substr(f.start, f.end - f.start) is the matched value. A finding never
// holds the value itself: callers that must not retain PII (logs, metrics, scan output) can pass
// findings around freely.
//
// How a finding is made: one linear scan finds candidate shapes for all kinds at once; validators
// then decide (calendar date and checksum for RRNs, Luhn and issuer ranges for cards, octet ranges
// for IPv4, group grammar for IPv6, boundaries so a match is never a slice of a longer number or
// word). Bank accounts, passports and driver's licences have shapes shared with order and serial
// numbers, so they are only reported with a context word nearby (계좌, 국민은행, account, 여권,
// passport, 운전면허, license, ...). When candidates of several kinds start at the same byte, the
// most confident wins; the scan resumes after it, so output spans never overlap. Confidence is a
// rough 0..1 score of how sure the validator is (e.g. an RRN whose check digit matches scores
// higher); it is informational, not a threshold.
//
// Construct once (pattern compilation takes milliseconds) and share: Detect is const and
// thread-safe.
//
//   const PiiDetector& detector = PiiDetector::Default();
//   for (const PiiFinding& f : detector.Detect(text)) counts[Index(f.kind)]++;
//
// Streaming: Detect(text, scan_begin, scan_end) reports only findings that start in
// [scan_begin, scan_end) but uses the bytes around that range as context (boundaries, context
// words) and lets a finding run past scan_end. Feeding a stream in windows that keep 256 bytes of
// already-scanned text before scan_begin and a few KiB after scan_end yields the same findings as
// one call over the whole text (pii_cli.cc does exactly that).
#pragma once

#include <bitset>
#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

#include "pii/pii_kind.h"

namespace scriptgen::pii {

namespace internal {
class CandidateScanner;
}

struct PiiFinding {
  PiiKind kind;
  size_t start;  // byte offset of the first byte
  size_t end;    // byte offset one past the last byte
  float confidence;

  friend bool operator==(const PiiFinding&, const PiiFinding&) = default;
};

struct DetectorOptions {
  // Kinds to report; all by default.
  std::bitset<kPiiKindCount> kinds = std::bitset<kPiiKindCount>().set();
};

class PiiDetector {
 public:
  // Context a streaming caller must keep before scan_begin (boundary checks and context words
  // look at most this far back).
  static constexpr size_t kLookbehindBytes = 256;
  // Longest URL reported; a longer one is reported as its first kMaxUrlBytes bytes. Bounding every
  // finding lets a streaming caller guarantee exact results with a bounded look-ahead.
  static constexpr size_t kMaxUrlBytes = 4096;
  // Look-ahead a streaming caller needs after scan_end for results identical to a whole-text scan.
  static constexpr size_t kLookaheadBytes = kMaxUrlBytes + 512;

  explicit PiiDetector(DetectorOptions options = {});
  ~PiiDetector();
  PiiDetector(const PiiDetector&) = delete;
  PiiDetector& operator=(const PiiDetector&) = delete;

  // The shared detector with default options (created on first use, thread-safe).
  static const PiiDetector& Default();

  std::vector<PiiFinding> Detect(std::string_view text) const {
    return Detect(text, 0, text.size());
  }
  std::vector<PiiFinding> Detect(std::string_view text, size_t scan_begin, size_t scan_end) const;

 private:
  DetectorOptions options_;
  std::unique_ptr<internal::CandidateScanner> scanner_;
};

}  // namespace scriptgen::pii
