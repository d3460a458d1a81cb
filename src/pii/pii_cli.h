// The `scriptgen pii scan` and `scriptgen pii scrub` commands, as functions the CLI wires up.
//
//   pii scan [FILE|-]    one JSON object per finding per line, never the matched value:
//                        {"kind":"email","start":10,"end":25,"confidence":0.95}
//                        start/end are byte offsets into the whole input.
//   pii scrub [FILE|-]   the input with every finding replaced per the policy.
//
// Both stream: input is read in blocks of block_size, each round is cut after the last newline
// (or, in a very long line, at whitespace or a UTF-8 boundary) that leaves `lookahead` bytes
// unread-ahead, and PiiDetector sees the text around the cut, so offsets and findings are the
// same as for a whole-input scan whatever the block size. Memory stays O(block_size + lookahead)
// unless the input has no whitespace at all for long stretches (then O(line)).
//
// Exit codes: 0 success (whether or not anything was found); 1 read or write error; 2 bad
// options (e.g. pseudonym without key). Errors go to `err` as one line starting "pii scan:" or
// "pii scrub:".
//
//   ScanOptions opts;
//   opts.policy = *ParseScrubPolicy(flag_policy);           // check the status first
//   if (const char* k = std::getenv(kPiiKeyEnvVar)) opts.pseudonym_key = k;
//   return RunPiiScrubPath(path, std::cout, std::cerr, opts);
#pragma once

#include <cstddef>
#include <iosfwd>
#include <string>
#include <string_view>

#include "pii/pii_scrubber.h"

namespace scriptgen::pii {

// Where the CLI (and the server) should read the pseudonym key from.
inline constexpr const char* kPiiKeyEnvVar = "SCRIPTGEN_PII_KEY";

struct ScanOptions {
  size_t block_size = size_t{1} << 20;              // bytes per read
  size_t lookahead = PiiDetector::kLookaheadBytes;  // tests lower it to exercise cuts
  ScrubPolicy policy;                               // scrub only
  std::string pseudonym_key;                        // scrub only, when policy uses pseudonym
  bool summary = false;  // scrub/scan: print per-kind counts to err at the end ("pii: email=2 ...")
};

int RunPiiScan(std::istream& in, std::ostream& out, std::ostream& err, const ScanOptions& opts);
int RunPiiScrub(std::istream& in, std::ostream& out, std::ostream& err, const ScanOptions& opts);

// As above, reading path ("-" = standard input). A missing file is exit code 1 with a message.
int RunPiiScanPath(std::string_view path, std::ostream& out, std::ostream& err,
                   const ScanOptions& opts);
int RunPiiScrubPath(std::string_view path, std::ostream& out, std::ostream& err,
                    const ScanOptions& opts);

}  // namespace scriptgen::pii
