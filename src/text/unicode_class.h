// Small, fixed Unicode character classes and case folding for chunking and feature hashing.
//
// Deliberately not ICU: these tables decide where chunks break and which features a text
// hashes to, so they must never change with a library or Unicode-data upgrade (that would change
// chunk counts of re-runs and silently change vectors under an unchanged embed_version). The
// tables cover what scriptgen's documents contain (Latin, Greek, Cyrillic, Hangul, CJK, common
// punctuation, symbols and emoji); anything else is treated as a letter. Changing any answer here
// is a format change: bump the embedder version.
#pragma once

#include <string>

namespace scriptgen::text {

// Unicode White_Space (ASCII blanks, NEL, NBSP, U+2000..U+200A, LS, PS, U+3000, ...).
bool IsWhitespace(char32_t c);

// How many line ends c counts for inside a whitespace run: 2 for paragraph separators
// (U+2029, form feed), 1 for LF, CR, NEL, VT and U+2028, else 0. CR LF counts once (the caller
// skips the LF after a CR).
int LineBreakWeight(char32_t c);

// Hangul syllables and jamo (Korean uses spaces between words, so Hangul are word letters).
bool IsHangul(char32_t c);

// Han ideographs, Hiragana and Katakana: scripts written without spaces, where every code point
// is a break opportunity and a token of its own.
bool IsHanOrKana(char32_t c);

// ASCII and Latin-1 punctuation, General Punctuation, CJK and fullwidth punctuation, arrows,
// math and technical symbols, box drawing, dingbats, emoji, variation selectors.
bool IsPunctuationOrSymbol(char32_t c);

// C0/C1 controls (including DEL) that are not whitespace, and U+FFFD (stands for invalid bytes).
bool IsControlOrInvalid(char32_t c);

// Letters, digits and marks: anything not whitespace, punctuation, symbol or control.
bool IsWordChar(char32_t c);

// Lower-cases ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic, and folds fullwidth ASCII
// (U+FF01..U+FF5E) to ASCII. Everything else is returned unchanged.
char32_t FoldCase(char32_t c);

// Composes conjoining Hangul jamo (L V [T], as found in NFD text, e.g. from macOS) into
// precomposed syllables in place, so NFD and NFC Korean produce the same features.
void ComposeHangul(std::u32string* s);

}  // namespace scriptgen::text
