// One combined DFA scan plus anchored per-rule re-checks.
//
// Why not RE2::Set: a Set tells which rules match somewhere, not where, so it cannot drive a
// scan. Why not one pattern with a capture group per rule: asking RE2 for submatches forces the
// NFA or bit-state engines, several times slower than the DFA. Asking only for the overall match
// position keeps the combined search on the DFA (forward pass for the end, reverse pass for the
// leftmost start); the anchored per-rule re-checks are short DFA runs over the candidate only.
//
// Memory: the combined program is large (hundreds of states once the DFA warms up), so it gets a
// 64 MiB budget; with RE2's default 8 MiB the DFA cache thrashes on mixed Korean/English text and
// throughput drops several-fold. Per-rule programs keep the default.
#include "pii/candidate_scanner.h"

#include <re2/re2.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace scriptgen::pii::internal {

std::bitset<256> ByteSet(std::string_view ranges) {
  std::bitset<256> set;
  for (size_t i = 0; i < ranges.size(); ++i) {
    unsigned char lo = static_cast<unsigned char>(ranges[i]);
    if (i + 2 < ranges.size() && ranges[i + 1] == '-') {
      unsigned char hi = static_cast<unsigned char>(ranges[i + 2]);
      for (unsigned b = lo; b <= hi; ++b) set.set(b);
      i += 2;
    } else {
      set.set(lo);
    }
  }
  return set;
}

namespace {

[[noreturn]] void DieOnBadPattern(size_t index, const std::string& error) {
  std::fprintf(stderr, "scriptgen: internal error: detection rule %zu does not compile: %s\n",
               index, error.c_str());
  std::abort();
}

}  // namespace

CandidateScanner::CandidateScanner(std::span<const RuleSpec> rules) {
  RE2::Options rule_options;
  rule_options.set_longest_match(true);
  rule_options.set_log_errors(false);
  std::string combined;
  for (size_t i = 0; i < rules.size(); ++i) {
    CompiledRule compiled;
    compiled.re = std::make_unique<RE2>(rules[i].pattern, rule_options);
    if (!compiled.re->ok()) DieOnBadPattern(i, compiled.re->error());
    compiled.has_group = compiled.re->NumberOfCapturingGroups() >= 1;
    compiled.first_bytes = rules[i].first_bytes;
    rules_.push_back(std::move(compiled));
    if (i > 0) combined += '|';
    combined += "(?:" + rules[i].pattern + ")";
  }
  RE2::Options combined_options = rule_options;
  combined_options.set_never_capture(true);
  combined_options.set_max_mem(int64_t{64} << 20);
  combined_ = std::make_unique<RE2>(combined, combined_options);
  if (!combined_->ok()) DieOnBadPattern(rules.size(), combined_->error());

  anchored_set_ = std::make_unique<RE2::Set>(combined_options, RE2::ANCHOR_START);
  for (size_t i = 0; i < rules.size(); ++i) {
    std::string error;
    if (anchored_set_->Add(rules[i].pattern, &error) != static_cast<int>(i)) {
      DieOnBadPattern(i, error);
    }
    any_first_byte_ |= rules[i].first_bytes;
  }
  if (!anchored_set_->Compile()) DieOnBadPattern(rules.size(), "RE2::Set does not compile");
}

void CandidateScanner::RulesAt(std::string_view text, size_t pos, std::vector<int>* rules) const {
  rules->clear();
  if (pos >= text.size() || !any_first_byte_.test(static_cast<unsigned char>(text[pos]))) return;
  anchored_set_->Match(re2::StringPiece(text.data() + pos, text.size() - pos), rules);
  std::sort(rules->begin(), rules->end());
}

CandidateScanner::~CandidateScanner() = default;

size_t CandidateScanner::NextCandidate(std::string_view text, size_t from) const {
  if (from >= text.size()) return std::string_view::npos;
  re2::StringPiece match;
  re2::StringPiece input(text.data(), text.size());
  if (!combined_->Match(input, from, input.size(), RE2::UNANCHORED, &match, 1)) {
    return std::string_view::npos;
  }
  return static_cast<size_t>(match.data() - text.data());
}

bool CandidateScanner::MatchAt(size_t rule, std::string_view text, size_t pos, MatchSpan* whole,
                               MatchSpan* value) const {
  const CompiledRule& r = rules_[rule];
  re2::StringPiece groups[2];
  re2::StringPiece input(text.data(), text.size());
  int n = r.has_group ? 2 : 1;
  if (!r.re->Match(input, pos, input.size(), RE2::ANCHOR_START, groups, n)) return false;
  auto span_of = [&](const re2::StringPiece& g) {
    size_t s = static_cast<size_t>(g.data() - text.data());
    return MatchSpan{s, s + g.size()};
  };
  *whole = span_of(groups[0]);
  *value = (r.has_group && groups[1].data() != nullptr) ? span_of(groups[1]) : *whole;
  return true;
}

}  // namespace scriptgen::pii::internal
