// CandidateScanner: finds where any of several regular expressions matches, in one pass.
//
// Internal engine shared by PiiDetector and SecretScanner. It compiles every rule on its own and
// all rules together as one alternation. NextCandidate() runs the combined pattern's DFA to find
// the leftmost position where some rule matches; MatchAt() then re-runs a single rule anchored at
// that position to learn its (longest) extent. The caller validates the candidates and decides
// where to continue. This keeps the whole-text scan to one linear DFA pass, whatever the number
// of rules, and spends per-rule work only at the few positions that look like a hit.
//
// RulesAt() tells which rules match at a candidate position in one anchored RE2::Set pass, so the
// per-candidate cost is one Set match plus one MatchAt per rule that actually matches (usually
// one), instead of one anchored match per rule.
//
// Rules must be RE2 syntax; a rule may have one capturing group, which MatchAt reports so a rule
// can match context ("aws_secret_access_key = ...") but report only the value. first_bytes lists
// every byte a match of the rule can start with; RulesAt uses it to skip the Set pass where no
// rule can start. An invalid pattern is a programming error: the constructor aborts with the
// pattern's index (patterns are compile-time constants).
//
// Thread-safe after construction (RE2 objects are).
#pragma once

#include <re2/re2.h>
#include <re2/set.h>

#include <bitset>
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace scriptgen::pii::internal {

// Byte set helper: "0-9A-Fa-f" style ranges plus single bytes.
std::bitset<256> ByteSet(std::string_view ranges);

struct RuleSpec {
  std::string pattern;
  std::bitset<256> first_bytes;
};

struct MatchSpan {
  size_t start = 0;
  size_t end = 0;
};

class CandidateScanner {
 public:
  explicit CandidateScanner(std::span<const RuleSpec> rules);
  ~CandidateScanner();
  CandidateScanner(const CandidateScanner&) = delete;
  CandidateScanner& operator=(const CandidateScanner&) = delete;

  size_t rule_count() const { return rules_.size(); }

  // Leftmost position p >= from at which some rule matches, or npos. The whole of text is used as
  // context, so a candidate can extend past any caller-side scan limit.
  size_t NextCandidate(std::string_view text, size_t from) const;

  // Indexes of the rules that match anchored at pos, ascending, into *rules (cleared first).
  void RulesAt(std::string_view text, size_t pos, std::vector<int>* rules) const;

  // True when rule matches anchored at pos; whole gets the longest match, value gets capture
  // group 1 when the rule has one (else the whole match).
  bool MatchAt(size_t rule, std::string_view text, size_t pos, MatchSpan* whole,
               MatchSpan* value) const;

  bool MayStartWith(size_t rule, unsigned char byte) const {
    return rules_[rule].first_bytes.test(byte);
  }

 private:
  struct CompiledRule {
    std::unique_ptr<re2::RE2> re;
    std::bitset<256> first_bytes;
    bool has_group = false;
  };
  std::unique_ptr<re2::RE2> combined_;
  std::unique_ptr<re2::RE2::Set> anchored_set_;
  std::bitset<256> any_first_byte_;
  std::vector<CompiledRule> rules_;
};

}  // namespace scriptgen::pii::internal
