// ExtractedText is what the extract step stores: the document's text as clean UTF-8 plus a map
// from byte offsets to where in the document that text came from (page, heading path).
//
// text is NFC-normalised UTF-8 with LF line ends; blocks (paragraphs, headings, table rows, list
// items, PDF pages) are separated by one blank line. sections is sorted by byte_offset, starts at
// offset 0 whenever text is non-empty, and has a new entry wherever the page or heading path
// changes. To label a chunk at byte offset o, take the last section with byte_offset <= o:
//
//   const Section* s = SectionAt(extracted, chunk.byte_offset);
//   if (s) { page = s->page; heading = s->heading_path; }
//
// TextBuilder is how extractors produce it: they report page changes, headings and blocks, and
// the builder normalises each block (NormalizeText) before appending it, so offsets always refer
// to the final text. Not thread-safe; one builder per extraction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace scriptgen::extract {

struct Section {
  uint64_t byte_offset = 0;
  int page = 0;              // 1-based PDF page; 0 for formats without pages
  std::string heading_path;  // "Intro > Scope"; empty before the first heading

  bool operator==(const Section&) const = default;
};

struct ExtractedText {
  std::string text;
  std::vector<Section> sections;
  std::vector<std::string> warnings;  // e.g. "3 invalid byte sequences replaced by U+FFFD"
  std::string charset;                // text formats: the source encoding used; else ""
  int page_count = 0;                 // PDF only
};

// The section covering byte_offset, or nullptr if there is none (empty text).
const Section* SectionAt(const ExtractedText& t, uint64_t byte_offset);

inline constexpr std::string_view kHeadingSeparator = " > ";

class TextBuilder {
 public:
  explicit TextBuilder(size_t max_bytes) : max_bytes_(max_bytes) {}

  void SetPage(int page) { page_ = page; }
  // Headings at level <= this one are closed; level 0 is a document title, 1..9 are Heading1..9.
  // The heading's own text is appended as a block belonging to the new path.
  void AddHeading(int level, std::string_view utf8);
  // Appends a block (normalised; blank blocks are skipped). Returns false once the output limit is
  // reached; the text is then cut at a code point boundary and truncated() is true.
  bool AddBlock(std::string_view utf8);

  bool truncated() const { return truncated_; }
  size_t size() const { return out_.text.size(); }
  // Ends the text with one LF and returns the result. The builder is left empty.
  ExtractedText Finish();

 private:
  std::string HeadingPath() const;

  size_t max_bytes_;
  int page_ = 0;
  std::vector<std::pair<int, std::string>> headings_;  // (level, text), levels increasing
  ExtractedText out_;
  bool truncated_ = false;
};

// Trims ASCII/Unicode white space at both ends and collapses inner runs of spaces and tabs (not
// line feeds) to one space.
std::string CollapseSpaces(std::string_view s);

}  // namespace scriptgen::extract
