// FileSecurityValidator decides whether an uploaded file may enter the pipeline (R-S1), and as
// what type. It is the pipeline's "validate" step and also runs at upload on the spooled file, so
// a hopeless file gets its 415/400 before it is queued.
//
// The type is sniffed from the content (libmagic), never taken from the file name or the declared
// Content-Type. **When the declared type and the sniffed type disagree, the sniffed type wins**
// and ValidationResult::mismatch is set (e.g. a PDF uploaded as "notes.txt" is processed as a
// PDF). The declaration is used for one thing only: libmagic reports Markdown (and sometimes
// CSV/HTML) as text/plain, so for text the declared type or extension chooses among
// text/plain, text/markdown, text/csv and text/html; likewise a generic ZIP declared as .docx is
// checked as DOCX. It never turns a binary type into a text type.
//
// Then, per type: executables and scripts (ELF, PE, Mach-O, "#!") are refused whatever they
// claim; DOCX is opened as a ZIP (ZipReader: required parts, entry names, inflate limits counted
// while inflating, macros); PDF is scanned for encryption, active content (names decoded from
// #xx escapes, also inside Flate object streams), truncation, and opened with poppler.
//
// Refusals, as Status codes (HTTP status, DLQ error class):
//   kUnsupported (415, unsupported_type): type not in the allow-list, executables and scripts,
//       encrypted PDFs, PDFs with active content (policy), DOCX with macros (policy).
//   kInvalidArgument (400, bad_input): empty, over max_file_bytes, malformed/truncated/damaged
//       files, zip bombs, path traversal in archives, DOCX without its required parts, HTML
//       nested deeper than max_html_depth.
// Both are permanent. Messages say what was found and what to do, e.g. "the PDF is encrypted
// (password-protected); remove the password and upload it again".
//
// Active content policy (pdf_active_content): kRefuse (default) refuses a PDF containing
// /JavaScript, /JS, /Launch, /EmbeddedFile(s), /AA, /RichMedia or /XFA; kAllowAndReport accepts it
// and lists the names in findings. /OpenAction alone is reported but not refused unless
// refuse_open_action_alone: most PDF writers use it to open at page 1, and an OpenAction can only
// do harm through one of the other names (JavaScript, Launch, ...), which are refused anyway.
//
//   FileSecurityValidator validator;  // default options; thread-safe, share one instance
//   StatusOr<ValidationResult> r = validator.ValidateFile(path, content_type, filename);
//   if (!r.ok()) return r.status();              // 415 / 400 at upload, dead letter in a job
//   Extract(r->mime, bytes, extract_options);    // r->mime is the type to extract as
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "extract/zip_reader.h"
#include "util/status.h"

namespace scriptgen::extract {

inline constexpr std::string_view kMimeDocx =
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

enum class ActiveContentPolicy { kRefuse, kAllowAndReport };

struct ValidationOptions {
  std::vector<std::string> allowed_mime = {"text/plain", "text/markdown",   "text/html",
                                           "text/csv",   "application/pdf", std::string(kMimeDocx)};
  ActiveContentPolicy pdf_active_content = ActiveContentPolicy::kRefuse;
  bool refuse_open_action_alone = false;
  ActiveContentPolicy docx_macros = ActiveContentPolicy::kRefuse;
  uint64_t max_file_bytes = 100ull << 20;
  ZipLimits zip;
  bool open_pdf_with_poppler = true;  // also prove poppler can open it (and is not locked)
  size_t max_html_depth = 1000;       // see ExtractOptions::max_html_depth
};

struct ValidationResult {
  std::string mime;           // the type to process the file as (allow-listed)
  std::string sniffed_mime;   // libmagic's answer, before refinement
  std::string declared_mime;  // from Content-Type, else from the file name; "" if neither says
  bool mismatch = false;      // declared and processed type differ (beyond text refinement)
  std::vector<std::string> findings;  // warnings for the user/audit, e.g. the mismatch
};

class FileSecurityValidator {
 public:
  explicit FileSecurityValidator(ValidationOptions options = {});

  // declared_mime: the Content-Type as sent (parameters such as "; charset=" are ignored here);
  // filename: as uploaded, only its extension is used.
  StatusOr<ValidationResult> Validate(std::string_view bytes, std::string_view declared_mime,
                                      std::string_view filename) const;
  // Reads the file (refusing it if larger than max_file_bytes) and validates it.
  StatusOr<ValidationResult> ValidateFile(const std::string& path, std::string_view declared_mime,
                                          std::string_view filename) const;

  const ValidationOptions& options() const { return options_; }

 private:
  Status CheckPdf(std::string_view bytes, ValidationResult* r) const;
  Status CheckDocx(std::string_view bytes, ValidationResult* r) const;

  ValidationOptions options_;
};

// The type a name's extension suggests ("a.md" -> "text/markdown"), or "".
std::string MimeFromFilename(std::string_view filename);
// "Text/HTML; charset=UTF-8" -> "text/html".
std::string BareMime(std::string_view content_type);
// "text/plain; charset=\"EUC-KR\"" -> "EUC-KR"; "" if there is none. For
// ExtractOptions::charset_hint.
std::string CharsetParameter(std::string_view content_type);

}  // namespace scriptgen::extract
