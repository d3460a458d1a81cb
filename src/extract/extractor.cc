// Dispatch by type, plus the two line-based formats (plain text / CSV and Markdown).
//
// Plain text and Markdown keep their text verbatim (after decoding and normalisation) rather than
// being re-flowed: the chunker already prefers paragraph and sentence breaks, and verbatim text
// keeps offsets simple - for Markdown the sections are found by scanning the normalised text
// itself, so a section's byte_offset is exactly where its heading line starts. Markdown syntax
// (emphasis, links) is left in; it costs little in embeddings and a Markdown parser would be
// another dependency for small gain.
#include "extract/extractor.h"

#include <poppler-global.h>

#include <mutex>

#include "extract/poppler_quiet.h"
#include "extract/text_decoding.h"
#include "text/utf8.h"

namespace scriptgen::extract {
namespace internal {
namespace {
void Discard(const std::string&, void*) {}
}  // namespace

void QuietPoppler() {
  static std::once_flag once;
  std::call_once(once, [] { poppler::set_debug_error_function(Discard, nullptr); });
}
}  // namespace internal

namespace {

// Decoded, normalised text of a text file, cut at the output limit.
std::string DecodeNormalized(std::string_view bytes, const ExtractOptions& o, ExtractedText* out) {
  DecodedText d = DecodeText(bytes, o.charset_hint);
  out->charset = d.charset;
  if (d.had_invalid) {
    out->warnings.push_back("some bytes were not valid " + d.charset +
                            " and were replaced by U+FFFD");
  }
  std::string text = NormalizeText(d.utf8);
  // Trim leading blank lines and trailing white space; end with exactly one LF.
  size_t b = 0;
  while (b < text.size() && (text[b] == '\n' || text[b] == ' ' || text[b] == '\t')) {
    // keep leading indentation of the first non-blank line
    size_t nl = text.find('\n', b);
    bool blank = true;
    for (size_t i = b; i < (nl == std::string::npos ? text.size() : nl); ++i) {
      if (text[i] != ' ' && text[i] != '\t') blank = false;
    }
    if (!blank || nl == std::string::npos) break;
    b = nl + 1;
  }
  text.erase(0, b);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\t')) {
    text.pop_back();
  }
  if (text.size() > o.max_output_bytes) {
    size_t n = o.max_output_bytes;
    while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
    text.resize(n);
    out->warnings.push_back("the text was cut at the " + std::to_string(o.max_output_bytes) +
                            "-byte extraction limit");
  }
  if (!text.empty()) text.push_back('\n');
  return text;
}

// An ATX heading ("## Title ##") -> (level, title); level 0 if the line is not one.
std::pair<int, std::string_view> AtxHeading(std::string_view line) {
  size_t i = 0;
  while (i < line.size() && i < 3 && line[i] == ' ') ++i;
  size_t level = 0;
  while (i + level < line.size() && line[i + level] == '#') ++level;
  if (level == 0 || level > 6) return {0, {}};
  i += level;
  if (i < line.size() && line[i] != ' ' && line[i] != '\t') return {0, {}};
  std::string_view title = line.substr(i);
  while (!title.empty() && (title.back() == ' ' || title.back() == '\t')) title.remove_suffix(1);
  while (!title.empty() && title.back() == '#') title.remove_suffix(1);
  while (!title.empty() && (title.front() == ' ' || title.front() == '\t')) title.remove_prefix(1);
  while (!title.empty() && (title.back() == ' ' || title.back() == '\t')) title.remove_suffix(1);
  return {static_cast<int>(level), title};
}

bool IsSetextUnderline(std::string_view line, char c) {
  size_t n = 0;
  for (char ch : line) {
    if (ch == c) {
      ++n;
    } else if (ch != ' ' && ch != '\t') {
      return false;
    }
  }
  return n >= 2;
}

bool IsBlank(std::string_view line) {
  return line.find_first_not_of(" \t") == std::string_view::npos;
}

}  // namespace

StatusOr<ExtractedText> ExtractPlainText(std::string_view bytes, const ExtractOptions& o) {
  ExtractedText out;
  out.text = DecodeNormalized(bytes, o, &out);
  if (!out.text.empty()) out.sections.push_back({0, 0, ""});
  return out;
}

StatusOr<ExtractedText> ExtractMarkdown(std::string_view bytes, const ExtractOptions& o) {
  ExtractedText out;
  out.text = DecodeNormalized(bytes, o, &out);
  if (out.text.empty()) return out;
  out.sections.push_back({0, 0, ""});
  std::vector<std::pair<int, std::string>> stack;
  auto open = [&](int level, std::string_view title, size_t offset) {
    std::string t(title);
    if (t.empty()) return;
    while (!stack.empty() && stack.back().first >= level) stack.pop_back();
    stack.emplace_back(level, std::move(t));
    std::string path;
    for (const auto& [l, s] : stack)
      path += (path.empty() ? "" : std::string(kHeadingSeparator)) + s;
    if (out.sections.back().byte_offset == offset) {
      out.sections.back().heading_path = path;
    } else {
      out.sections.push_back({offset, 0, path});
    }
  };
  std::string_view text = out.text;
  std::string_view fence;  // the open code fence ("```" or "~~~"), if any
  size_t prev_start = 0;
  std::string_view prev;  // previous line, for setext headings
  bool prev_is_para = false;
  for (size_t pos = 0; pos < text.size();) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    std::string_view trimmed = line.substr(std::min(line.find_first_not_of(' '), line.size()));
    bool para = false;
    if (!fence.empty()) {
      if (trimmed.starts_with(fence)) fence = {};
    } else if (trimmed.starts_with("```") || trimmed.starts_with("~~~")) {
      fence = trimmed.substr(0, 3);
    } else if (auto [level, title] = AtxHeading(line); level > 0) {
      open(level, title, pos);
    } else if (prev_is_para && IsSetextUnderline(line, '=')) {
      open(1, CollapseSpaces(prev), prev_start);
    } else if (prev_is_para && IsSetextUnderline(line, '-') && line.find('-') < 4) {
      open(2, CollapseSpaces(prev), prev_start);
    } else {
      para = !IsBlank(line) && line.substr(0, 4) != "    ";
    }
    prev_is_para = para;
    prev = line;
    prev_start = pos;
    pos = nl + 1;
  }
  return out;
}

StatusOr<ExtractedText> Extract(std::string_view mime, std::string_view bytes,
                                const ExtractOptions& options) {
  if (mime == "application/pdf") return ExtractPdf(bytes, options);
  if (mime == "application/vnd.openxmlformats-officedocument.wordprocessingml.document") {
    return ExtractDocx(bytes, options);
  }
  if (mime == "text/html") return ExtractHtml(bytes, options);
  if (mime == "text/markdown") return ExtractMarkdown(bytes, options);
  if (mime == "text/plain" || mime == "text/csv") return ExtractPlainText(bytes, options);
  return Status(Code::kUnsupported,
                "no text extractor for " + std::string(mime) +
                    "; supported: PDF, DOCX, HTML, Markdown, CSV and plain text");
}

}  // namespace scriptgen::extract
