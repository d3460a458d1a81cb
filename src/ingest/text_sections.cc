// Sections are few (pages, headings) and already sorted, so both operations are linear passes
// plus a binary search; no index structure is kept.
#include "ingest/text_sections.h"

#include <algorithm>

namespace scriptgen::ingest {

store::DocumentText RewriteSections(const store::DocumentText& in,
                                    const std::function<std::string(std::string_view)>& rewrite) {
  store::DocumentText out;
  const std::string_view text = in.text;
  if (in.sections.empty()) {
    out.text = rewrite(text);
    return out;
  }
  out.text.reserve(text.size());
  // Text before the first section (if any) belongs to no section but must not be lost.
  size_t first = std::min<uint64_t>(in.sections.front().byte_offset, text.size());
  out.text += rewrite(text.substr(0, first));
  for (size_t i = 0; i < in.sections.size(); ++i) {
    const size_t begin = std::clamp<uint64_t>(in.sections[i].byte_offset, first, text.size());
    const size_t end =
        i + 1 < in.sections.size()
            ? std::clamp<uint64_t>(in.sections[i + 1].byte_offset, begin, text.size())
            : text.size();
    std::string piece = rewrite(text.substr(begin, end - begin));
    if (!piece.empty()) {
      store::TextSection s = in.sections[i];
      s.byte_offset = out.text.size();
      out.sections.push_back(std::move(s));
      out.text += piece;
    }
    first = end;
  }
  return out;
}

void AttachSections(std::vector<store::NewChunk>& chunks,
                    const std::vector<store::TextSection>& sections) {
  if (sections.empty()) return;
  for (store::NewChunk& c : chunks) {
    // The last section starting at or before the chunk's first byte.
    auto it = std::upper_bound(
        sections.begin(), sections.end(), c.byte_offset,
        [](uint64_t offset, const store::TextSection& s) { return offset < s.byte_offset; });
    if (it == sections.begin()) continue;  // before the first section
    --it;
    c.page = it->page;
    c.heading = it->heading;
  }
}

}  // namespace scriptgen::ingest
