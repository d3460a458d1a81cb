// Keeping citations (page, heading path) attached to text as it moves through the pipeline.
//
// The extract step stores a document's text with its sections: each section starts at a byte
// offset and runs to the next one. Two later steps need them:
//  * scrub rewrites the text (placeholders are not as long as what they replace), so it rewrites
//    each section on its own and recomputes the offsets: RewriteSections;
//  * chunk gives every chunk the page and heading of the section its first byte lies in:
//    AttachSections.
// Rewriting per section also means no replacement ever spans a page or heading boundary, which
// keeps a citation exact.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "store/document_store.h"

namespace scriptgen::ingest {

// Applies rewrite to each section's text (the whole text if there are no sections) and returns
// the joined result with section offsets moved to match. Sections keep their page and heading;
// ones that end up empty are dropped. Offsets in `in` are clamped into the text and must be
// ascending (as the extractors produce them).
store::DocumentText RewriteSections(const store::DocumentText& in,
                                    const std::function<std::string(std::string_view)>& rewrite);

// Sets page and heading of every chunk from the section containing its byte_offset.
void AttachSections(std::vector<store::NewChunk>& chunks,
                    const std::vector<store::TextSection>& sections);

}  // namespace scriptgen::ingest
