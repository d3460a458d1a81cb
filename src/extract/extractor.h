// Extract turns a validated document into clean text plus a map of where the text came from.
//
// Call it with the type FileSecurityValidator decided (ValidationResult::mime), never with the
// uploader's declaration. Supported: application/pdf (poppler-cpp, page by page),
// DOCX (libzip + pugixml: paragraphs, Title/Heading1..9 headings, tables, lists), text/html
// (gumbo: script/style/nav/header/footer/noscript/template dropped, h1..h6 headings),
// text/markdown (ATX and setext headings), text/plain and text/csv.
//
// The output text is valid, NFC-normalised UTF-8 with LF line ends (see ExtractedText in
// extracted_text.h for its layout and the sections map). Text formats are decoded from their
// encoding first (BOM, <meta charset>, options.charset_hint, UTF-8, uchardet; see
// text_decoding.h). Extraction is deterministic: the same bytes and options give the same result,
// which the idempotent pipeline relies on.
//
// Errors: kInvalidArgument for a document that cannot be parsed (damaged PDF, broken DOCX XML,
// zip limits, no text at all in a PDF is *not* an error: it yields empty text and a warning),
// kUnsupported for a type Extract does not handle or a locked PDF. Never throws, never crashes on
// hostile input (fuzzed: tests/fuzz).
//
//   StatusOr<ValidationResult> v = validator.Validate(bytes, content_type, filename);
//   if (!v.ok()) return v.status();
//   StatusOr<ExtractedText> t = Extract(v->mime, bytes, {});
//   if (!t.ok()) return t.status();
//   Store(t->text, t->sections);
//
// Thread-safe: each call has its own parser state.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "extract/extracted_text.h"
#include "extract/zip_reader.h"
#include "util/status.h"

namespace scriptgen::extract {

struct ExtractOptions {
  size_t max_output_bytes = 64u << 20;  // text beyond this is cut (warning), not an error
  int max_pdf_pages = 5000;             // pages beyond this are skipped (warning)
  ZipLimits zip;                        // DOCX container limits
  std::string charset_hint;             // e.g. the charset parameter of the upload's Content-Type
  // HTML nested deeper than this is refused: gumbo's time grows quadratically with nesting depth
  // (200,000 nested <div> take minutes), and real pages stay well below 200.
  size_t max_html_depth = 1000;
};

StatusOr<ExtractedText> Extract(std::string_view mime, std::string_view bytes,
                                const ExtractOptions& options = {});

// Per format; Extract dispatches to these. Exposed for tests and fuzzers.
StatusOr<ExtractedText> ExtractPdf(std::string_view bytes, const ExtractOptions& options);
StatusOr<ExtractedText> ExtractDocx(std::string_view bytes, const ExtractOptions& options);
StatusOr<ExtractedText> ExtractHtml(std::string_view bytes, const ExtractOptions& options);
StatusOr<ExtractedText> ExtractMarkdown(std::string_view bytes, const ExtractOptions& options);
StatusOr<ExtractedText> ExtractPlainText(std::string_view bytes, const ExtractOptions& options);

// An upper estimate of how deep the elements of an HTML document nest, from a linear scan of its
// tags (void elements, self-closing tags and elements with optional end tags are not counted).
// Used by Extract and FileSecurityValidator to refuse pathological nesting before gumbo runs.
size_t HtmlNestingDepth(std::string_view bytes);

}  // namespace scriptgen::extract
