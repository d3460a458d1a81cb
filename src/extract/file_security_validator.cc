// Validation is ordered cheapest and most decisive first: size, executable magic numbers, libmagic,
// the allow-list, and only then the per-format checks that parse (zip directory, PDF lexing,
// poppler). A refusal stops at the first reason; warnings accumulate in findings.
//
// The whole file is held in memory: the upload limit (50 MB by default) bounds it, the DOCX check
// must see the zip's central directory at the end, and the PDF check must see the trailer. DOCX
// validation inflates every entry (discarding the bytes) so the bomb limits are proven on what the
// extractor could later inflate, at a cost of one decompression pass (~100-300 MB/s).
#include "extract/file_security_validator.h"

#include <poppler-document.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <memory>

#include "extract/extractor.h"
#include "extract/mime_sniffer.h"
#include "extract/pdf_scanner.h"
#include "extract/poppler_quiet.h"

namespace scriptgen::extract {
namespace {

Status Unsupported(std::string m) {
  return {Code::kUnsupported, std::move(m)};
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool IsTextFamily(std::string_view m) {
  return m == "text/plain" || m == "text/markdown" || m == "text/csv" || m == "text/html";
}

bool IsVague(std::string_view m) {
  return m.empty() || m == "application/octet-stream" || m == "binary/octet-stream" ||
         m == "application/unknown" || m == "application/x-unknown";
}

std::string Describe(std::string_view mime) {
  if (mime == "application/pdf") return "a PDF";
  if (mime == kMimeDocx) return "a Word document (DOCX)";
  if (mime == "application/zip") return "a ZIP archive";
  if (mime == "application/msword") return "an old Word document (.doc)";
  if (mime.starts_with("image/")) return "an image (" + std::string(mime) + ")";
  if (mime.starts_with("audio/") || mime.starts_with("video/")) {
    return "a media file (" + std::string(mime) + ")";
  }
  if (mime == "application/octet-stream") return "binary data of no known document type";
  return "of type " + std::string(mime);
}

const char* kSupportedList = "PDF, DOCX, HTML, Markdown, CSV or plain text";

// The processing type, given what libmagic said and what the uploader declared.
std::string Refine(const std::string& sniffed, const std::string& declared,
                   const std::string& from_name) {
  auto declares = [&](std::string_view m) { return declared == m || from_name == m; };
  std::string base = sniffed;
  // libmagic's text/x-c, text/x-tex, ... are still plain text for our purposes (scripts were
  // refused before this point).
  if (base.starts_with("text/x-") || base == "text/plain") base = "text/plain";
  if (base == "text/plain" || base == "text/csv" || base == "text/html") {
    if (declares("text/markdown")) return "text/markdown";
    if (declares("text/csv")) return "text/csv";
    if (base == "text/plain" && declares("text/html")) return "text/html";
    return base;
  }
  // XHTML starting with <?xml: libmagic says text/xml.
  if (base == "text/xml" && declares("text/html")) return "text/html";
  if (base == "application/zip" && declares(std::string(kMimeDocx))) return std::string(kMimeDocx);
  return sniffed;
}

}  // namespace

std::string BareMime(std::string_view content_type) {
  std::string m = Lower(content_type.substr(0, content_type.find(';')));
  while (!m.empty() && std::isspace(static_cast<unsigned char>(m.back()))) m.pop_back();
  size_t b = 0;
  while (b < m.size() && std::isspace(static_cast<unsigned char>(m[b]))) ++b;
  m.erase(0, b);
  if (m == "text/x-markdown") m = "text/markdown";
  if (m == "application/csv") m = "text/csv";
  return m;
}

std::string CharsetParameter(std::string_view content_type) {
  const std::string lower = Lower(content_type);
  size_t at = lower.find("charset=");
  if (at == std::string::npos) return "";
  std::string_view v = content_type.substr(at + 8);
  if (!v.empty() && (v.front() == '"' || v.front() == '\'')) v.remove_prefix(1);
  const size_t end = v.find_first_of("\"'; \t");
  return std::string(v.substr(0, end));
}

std::string MimeFromFilename(std::string_view filename) {
  const size_t dot = filename.rfind('.');
  if (dot == std::string_view::npos) return "";
  const std::string ext = Lower(filename.substr(dot + 1));
  if (ext == "txt" || ext == "text") return "text/plain";
  if (ext == "md" || ext == "markdown") return "text/markdown";
  if (ext == "csv") return "text/csv";
  if (ext == "html" || ext == "htm") return "text/html";
  if (ext == "pdf") return "application/pdf";
  if (ext == "docx") return std::string(kMimeDocx);
  return "";
}

FileSecurityValidator::FileSecurityValidator(ValidationOptions options)
    : options_(std::move(options)) {}

StatusOr<ValidationResult> FileSecurityValidator::ValidateFile(const std::string& path,
                                                               std::string_view declared_mime,
                                                               std::string_view filename) const {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Unavailable("cannot open the uploaded file " + path);
  in.seekg(0, std::ios::end);
  const auto size = static_cast<uint64_t>(in.tellg());
  if (size > options_.max_file_bytes) {
    return InvalidArgument("the file is " + std::to_string(size >> 20) + " MB, more than the " +
                           std::to_string(options_.max_file_bytes >> 20) +
                           " MB a document may have; split it and upload the parts");
  }
  in.seekg(0);
  std::string data(size, '\0');
  if (!in.read(data.data(), static_cast<std::streamsize>(size))) {
    return Unavailable("cannot read the uploaded file " + path);
  }
  return Validate(data, declared_mime, filename);
}

StatusOr<ValidationResult> FileSecurityValidator::Validate(std::string_view bytes,
                                                           std::string_view declared_content_type,
                                                           std::string_view filename) const {
  ValidationResult r;
  const std::string declared = BareMime(declared_content_type);
  const std::string from_name = MimeFromFilename(filename);
  r.declared_mime = IsVague(declared) ? from_name : declared;

  if (bytes.empty()) return InvalidArgument("the file is empty; upload a document with content");
  if (bytes.size() > options_.max_file_bytes) {
    return InvalidArgument("the file is larger than the " +
                           std::to_string(options_.max_file_bytes >> 20) +
                           " MB a document may have; split it and upload the parts");
  }
  const std::string_view head = bytes.substr(0, kSniffBytes);
  r.sniffed_mime = SniffMime(head);
  if (std::string exe = DetectExecutable(head, r.sniffed_mime); !exe.empty()) {
    return Unsupported("the file is " + exe +
                       ", not a document; programs and scripts are refused whatever their name. "
                       "Upload the document itself (" +
                       kSupportedList + ")");
  }
  r.mime = Refine(r.sniffed_mime, IsVague(declared) ? "" : declared, from_name);
  if (std::find(options_.allowed_mime.begin(), options_.allowed_mime.end(), r.mime) ==
      options_.allowed_mime.end()) {
    std::string msg = "the file is " + Describe(r.sniffed_mime) +
                      " (detected from its content), which is not a supported document type";
    if (!r.declared_mime.empty() && r.declared_mime != r.sniffed_mime) {
      msg += " although it was declared as " + r.declared_mime;
    }
    return Unsupported(msg + "; upload " + kSupportedList);
  }
  if (!r.declared_mime.empty() && r.declared_mime != r.mime &&
      !(IsTextFamily(r.declared_mime) && IsTextFamily(r.mime))) {
    r.mismatch = true;
    r.findings.push_back("declared as " + r.declared_mime + " but the content is " +
                         Describe(r.mime) + " (" + r.mime + "); processed as " + r.mime);
  }
  if (r.mime == "application/pdf") SG_RETURN_IF_ERROR(CheckPdf(bytes, &r));
  if (r.mime == kMimeDocx) SG_RETURN_IF_ERROR(CheckDocx(bytes, &r));
  if (r.mime == "text/html") {
    if (const size_t depth = HtmlNestingDepth(bytes); depth > options_.max_html_depth) {
      return InvalidArgument("the HTML nests elements about " + std::to_string(depth) +
                             " levels deep (the limit is " +
                             std::to_string(options_.max_html_depth) +
                             "); this is not a normal web page. Save the page again from a "
                             "browser and upload it again");
    }
  }
  return r;
}

Status FileSecurityValidator::CheckPdf(std::string_view bytes, ValidationResult* r) const {
  PdfScan scan = ScanPdf(bytes);
  if (!scan.header) {
    return InvalidArgument(
        "the file does not start like a PDF (no %PDF- header); save it again "
        "as PDF and upload it again");
  }
  if (scan.encrypted) {
    return Unsupported(
        "the PDF is encrypted (password-protected or restricted); remove the "
        "password or protection (e.g. print it to a new PDF) and upload it again");
  }
  if (!scan.eof_marker) {
    return InvalidArgument(
        "the PDF is incomplete (no end-of-file marker): it was probably cut "
        "off while downloading or copying; upload the complete file");
  }
  std::vector<std::string> refused;
  for (const std::string& name : scan.active_names) {
    if (name != "OpenAction" || options_.refuse_open_action_alone) refused.push_back(name);
  }
  if (!scan.active_names.empty()) {
    std::string list;
    for (const std::string& n : scan.active_names) list += (list.empty() ? "/" : ", /") + n;
    if (!refused.empty() && options_.pdf_active_content == ActiveContentPolicy::kRefuse) {
      return Unsupported("the PDF contains active content (" + list +
                         "): scripts, launch actions or embedded files are refused. Save or "
                         "print it as a plain PDF without them and upload it again");
    }
    r->findings.push_back("the PDF contains active content (" + list + "); allowed by policy");
  }
  if (scan.objstm_unscanned > 0) {
    r->findings.push_back(std::to_string(scan.objstm_unscanned) +
                          " compressed object stream(s) could not be checked for active content");
  }
  if (options_.open_pdf_with_poppler) {
    internal::QuietPoppler();
    if (bytes.size() > static_cast<size_t>(INT32_MAX)) {
      return InvalidArgument("the PDF is too large to open");
    }
    std::unique_ptr<poppler::document> doc;
    try {
      doc.reset(
          poppler::document::load_from_raw_data(bytes.data(), static_cast<int>(bytes.size())));
    } catch (...) {
      doc.reset();
    }
    if (!doc) {
      return InvalidArgument(
          "the PDF is damaged and cannot be opened; export it again as PDF "
          "and upload it again");
    }
    if (doc->is_locked() || doc->is_encrypted()) {
      return Unsupported(
          "the PDF is encrypted (password-protected); remove the password and "
          "upload it again");
    }
    if (doc->pages() <= 0) return InvalidArgument("the PDF has no pages");
  }
  return Status::Ok();
}

Status FileSecurityValidator::CheckDocx(std::string_view bytes, ValidationResult* r) const {
  StatusOr<std::unique_ptr<ZipReader>> zip = ZipReader::Open(bytes, options_.zip);
  if (!zip.ok()) return zip.status();
  ZipReader& z = **zip;
  for (const char* part : {"[Content_Types].xml", "word/document.xml"}) {
    if (!z.Has(part)) {
      return InvalidArgument(std::string("the DOCX is incomplete: it has no ") + part +
                             "; open it in a word processor, save it as .docx and upload it "
                             "again");
    }
  }
  SG_RETURN_IF_ERROR(z.InflateAll());
  for (const std::string& name : z.names()) {
    std::string lower = Lower(name);
    const bool activex = lower.find("activex") != std::string::npos && lower.ends_with(".bin");
    if (lower.ends_with("vbaproject.bin") || activex) {
      if (options_.docx_macros == ActiveContentPolicy::kRefuse) {
        return Unsupported("the DOCX contains macros or ActiveX controls (" + name +
                           "); save it as a plain .docx without macros and upload it again");
      }
      r->findings.push_back("the DOCX contains macros or ActiveX controls (" + name +
                            "); allowed by policy");
    }
  }
  return Status::Ok();
}

}  // namespace scriptgen::extract
