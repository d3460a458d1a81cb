// Word tokens for feature hashing: normalised, Unicode-aware, independent of locale and ICU.
//
// The text is decoded (invalid bytes act as separators), conjoining Hangul jamo are composed,
// and letters are case-folded (text/unicode_class.h). A token is a maximal run of word characters
// (letters, digits, marks; Hangul included, since Korean separates words with spaces), except that
// every Han or Kana character is a token of its own (those scripts have no spaces). Output is in
// text order; each token is valid UTF-8 without whitespace, punctuation or '<', '>'.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace scriptgen::embed {

std::vector<std::string> Tokenize(std::string_view utf8);

}  // namespace scriptgen::embed
