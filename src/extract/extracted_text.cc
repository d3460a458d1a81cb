// TextBuilder normalises per block rather than once at the end so that section offsets, taken
// while appending, already point into the final text. NFC across a block boundary cannot differ
// from NFC per block in practice because blocks are joined by "\n\n" (a starter), which stops any
// composition across the join.
#include "extract/extracted_text.h"

#include <algorithm>

#include "extract/text_decoding.h"
#include "text/utf8.h"

namespace scriptgen::extract {
namespace {

bool IsSpaceByte(char c) {
  return c == ' ' || c == '\t' || c == '\n';
}

// Longest prefix of s of at most n bytes that does not split a UTF-8 sequence.
size_t Utf8Prefix(std::string_view s, size_t n) {
  if (n >= s.size()) return s.size();
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return n;
}

}  // namespace

const Section* SectionAt(const ExtractedText& t, uint64_t byte_offset) {
  auto it = std::upper_bound(t.sections.begin(), t.sections.end(), byte_offset,
                             [](uint64_t off, const Section& s) { return off < s.byte_offset; });
  if (it == t.sections.begin()) return nullptr;
  return &*std::prev(it);
}

std::string CollapseSpaces(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool pending_space = false;
  for (size_t i = 0; i < s.size();) {
    text::Utf8Unit u = text::DecodeUtf8At(s, i);
    const bool space = u.valid && (u.code_point == ' ' || u.code_point == '\t' ||
                                   u.code_point == 0xA0 || u.code_point == 0x3000);
    if (space) {
      pending_space = true;
    } else {
      if (pending_space && !out.empty() && out.back() != '\n' && u.code_point != '\n') {
        out.push_back(' ');
      }
      pending_space = false;
      if (u.code_point == '\n') {
        while (!out.empty() && out.back() == ' ') out.pop_back();
      }
      out.append(s.substr(i, u.length));
    }
    i += u.length;
  }
  while (!out.empty() && IsSpaceByte(out.back())) out.pop_back();
  size_t start = 0;
  while (start < out.size() && IsSpaceByte(out[start])) ++start;
  return out.substr(start);
}

std::string TextBuilder::HeadingPath() const {
  std::string path;
  for (const auto& [level, text] : headings_) {
    if (!path.empty()) path += kHeadingSeparator;
    path += text;
  }
  return path;
}

void TextBuilder::AddHeading(int level, std::string_view utf8) {
  std::string title = CollapseSpaces(NormalizeText(utf8));
  std::replace(title.begin(), title.end(), '\n', ' ');
  if (title.empty()) return;
  while (!headings_.empty() && headings_.back().first >= level) headings_.pop_back();
  headings_.emplace_back(level, title);
  AddBlock(title);
}

bool TextBuilder::AddBlock(std::string_view utf8) {
  if (truncated_) return false;
  std::string block = NormalizeText(utf8);
  // Trim blank lines around the block; keep its inner layout.
  size_t b = 0, e = block.size();
  while (b < e && IsSpaceByte(block[b])) ++b;
  while (e > b && IsSpaceByte(block[e - 1])) --e;
  if (b == e) return true;
  // At most one blank line inside a block (poppler's layout emits runs of them).
  std::string squeezed;
  squeezed.reserve(e - b);
  int newlines = 0;
  for (size_t i = b; i < e; ++i) {
    newlines = block[i] == '\n' ? newlines + 1 : 0;
    if (newlines <= 2) squeezed.push_back(block[i]);
  }
  std::string_view body(squeezed);

  std::string& text = out_.text;
  if (!text.empty()) text += "\n\n";
  const uint64_t offset = text.size();
  Section s{offset, page_, HeadingPath()};
  if (out_.sections.empty() || out_.sections.back().page != s.page ||
      out_.sections.back().heading_path != s.heading_path) {
    if (out_.sections.empty()) s.byte_offset = 0;
    out_.sections.push_back(std::move(s));
  }
  if (text.size() + body.size() > max_bytes_) {
    const size_t room = max_bytes_ > text.size() ? max_bytes_ - text.size() : 0;
    text.append(body.substr(0, Utf8Prefix(body, room)));
    truncated_ = true;
    out_.warnings.push_back("the text was cut at the " + std::to_string(max_bytes_) +
                            "-byte extraction limit");
    return false;
  }
  text.append(body);
  return true;
}

ExtractedText TextBuilder::Finish() {
  while (!out_.text.empty() && IsSpaceByte(out_.text.back())) out_.text.pop_back();
  if (!out_.text.empty()) out_.text.push_back('\n');
  while (!out_.sections.empty() && out_.sections.back().byte_offset >= out_.text.size() &&
         out_.sections.size() > 1) {
    out_.sections.pop_back();
  }
  if (out_.text.empty()) out_.sections.clear();
  ExtractedText result = std::move(out_);
  out_ = ExtractedText();
  headings_.clear();
  return result;
}

}  // namespace scriptgen::extract
