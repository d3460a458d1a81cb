// Shared checks of the extract fuzzers: whatever the input, an extraction that succeeds yields
// valid UTF-8 without CR, and sections that are sorted and inside the text.
#pragma once

#include <cstdlib>

#include "extract/extractor.h"
#include "text/utf8.h"

namespace scriptgen::extract::fuzz {

inline void CheckExtracted(const scriptgen::StatusOr<ExtractedText>& t) {
  if (!t.ok()) {
    if (t.status().message().empty()) std::abort();
    return;
  }
  if (!text::IsValidUtf8(t->text)) std::abort();
  if (t->text.find('\r') != std::string::npos) std::abort();
  for (size_t i = 0; i < t->sections.size(); ++i) {
    if (t->sections[i].byte_offset >= t->text.size()) std::abort();
    if (i > 0 && t->sections[i - 1].byte_offset >= t->sections[i].byte_offset) std::abort();
    if (!text::IsValidUtf8(t->sections[i].heading_path)) std::abort();
  }
}

inline ExtractOptions SmallOptions() {
  ExtractOptions o;
  o.max_output_bytes = 1 << 20;
  o.max_pdf_pages = 50;
  o.zip.max_total_inflated = 16 << 20;
  o.zip.max_entry_inflated = 16 << 20;
  return o;
}

}  // namespace scriptgen::extract::fuzz
