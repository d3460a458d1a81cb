// PDF text with poppler-cpp, one page at a time, in poppler's physical layout order (columns and
// tables come out roughly as they look). Each page is a block and a section with its 1-based page
// number, so chunk -> page lookups are exact at page boundaries.
//
// poppler-cpp reports damage by returning null documents/pages, but it is a large C++ library fed
// hostile bytes, so calls are also wrapped in try/catch (std::bad_alloc on absurd object sizes).
// poppler's own stderr messages are silenced (QuietPoppler). Validation (ScanPdf) has already
// refused encrypted and active PDFs; a locked document is refused here too in case Extract is
// called directly. Headings are not inferred from PDF font sizes: too unreliable to be worth it,
// so PDF sections carry a page but an empty heading path.
#include <poppler-document.h>
#include <poppler-page.h>

#include <memory>

#include "extract/extractor.h"
#include "extract/poppler_quiet.h"

namespace scriptgen::extract {

StatusOr<ExtractedText> ExtractPdf(std::string_view bytes, const ExtractOptions& options) {
  internal::QuietPoppler();
  if (bytes.size() > static_cast<size_t>(INT32_MAX)) {
    return InvalidArgument("the PDF is too large to open");
  }
  try {
    std::unique_ptr<poppler::document> doc(
        poppler::document::load_from_raw_data(bytes.data(), static_cast<int>(bytes.size())));
    if (!doc) {
      return InvalidArgument(
          "the PDF is damaged and cannot be opened; export it again as PDF "
          "and upload it again");
    }
    if (doc->is_locked()) {
      return Status(Code::kUnsupported,
                    "the PDF is encrypted (password-protected); remove the password and upload "
                    "it again");
    }
    const int pages = doc->pages();
    TextBuilder builder(options.max_output_bytes);
    int unreadable = 0;
    for (int i = 0; i < pages && i < options.max_pdf_pages; ++i) {
      std::unique_ptr<poppler::page> page(doc->create_page(i));
      if (!page) {
        ++unreadable;
        continue;
      }
      builder.SetPage(i + 1);
      const poppler::byte_array utf8 = page->text().to_utf8();
      if (!builder.AddBlock(std::string_view(utf8.data(), utf8.size()))) break;
    }
    ExtractedText out = builder.Finish();
    out.page_count = pages;
    if (pages > options.max_pdf_pages) {
      out.warnings.push_back("only the first " + std::to_string(options.max_pdf_pages) + " of " +
                             std::to_string(pages) + " pages were extracted");
    }
    if (unreadable > 0) {
      out.warnings.push_back(std::to_string(unreadable) + " page(s) could not be read");
    }
    if (out.text.empty()) {
      out.warnings.push_back(
          "the PDF has no extractable text (scanned images need OCR, which "
          "is not supported)");
    }
    return out;
  } catch (const std::exception& e) {
    return InvalidArgument(std::string("the PDF is damaged and cannot be read (") + e.what() +
                           "); export it again as PDF and upload it again");
  }
}

}  // namespace scriptgen::extract
