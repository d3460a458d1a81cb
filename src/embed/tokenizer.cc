// Normalise into UTF-32 first (Hangul composition needs look-ahead), then one pass splits and
// re-encodes tokens as UTF-8, the form feature keys are hashed in. Re-encoding costs a copy but
// makes the feature definition byte-level and easy to reproduce in any language.
#include "embed/tokenizer.h"

#include "text/unicode_class.h"
#include "text/utf8.h"

namespace scriptgen::embed {

std::vector<std::string> Tokenize(std::string_view utf8) {
  std::u32string cps;
  cps.reserve(utf8.size());
  for (size_t i = 0; i < utf8.size();) {
    const text::Utf8Unit u = text::DecodeUtf8At(utf8, i);
    cps.push_back(u.valid ? u.code_point : U' ');
    i += u.length;
  }
  text::ComposeHangul(&cps);

  std::vector<std::string> tokens;
  std::string current;
  auto flush = [&] {
    if (!current.empty()) tokens.push_back(std::move(current));
    current.clear();
  };
  for (char32_t c : cps) {
    c = text::FoldCase(c);
    if (!text::IsWordChar(c)) {
      flush();
    } else if (text::IsHanOrKana(c)) {
      flush();
      text::AppendUtf8(c, &current);
      flush();
    } else {
      text::AppendUtf8(c, &current);
    }
  }
  flush();
  return tokens;
}

}  // namespace scriptgen::embed
