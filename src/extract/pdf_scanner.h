// ScanPdf looks through a PDF's raw bytes for what FileSecurityValidator must know before any PDF
// library interprets the file: encryption, active content, and truncation.
//
// It tokenises PDF names (decoding #xx escapes, so "/J#61vaScript" is "/JavaScript") in every part
// of the file outside stream data, and inside Flate-compressed object streams (/Type /ObjStm),
// which it inflates with zlib under a byte budget. Other streams (page content, images, fonts)
// are skipped: they cannot hold dictionaries. Names inside literal strings are counted too, so a
// PDF that merely talks about "/JavaScript" in a string is a (rare, safe-side) false positive.
//
// Limits: object streams with filters other than a single FlateDecode, or beyond the inflate
// budget, are not looked into; `objstm_unscanned` counts them so the caller can warn or refuse.
//
//   PdfScan scan = ScanPdf(bytes);
//   if (scan.encrypted) ...;
//   for (const std::string& name : scan.active_names) ...;   // e.g. "JavaScript", "OpenAction"
//
// Pure function, thread-safe, linear in the input plus the inflated bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace scriptgen::extract {

struct PdfScan {
  bool header = false;      // "%PDF-" within the first 1 KB
  bool eof_marker = false;  // "%%EOF" within the last 2 KB
  bool encrypted = false;   // an /Encrypt entry (trailer or cross-reference stream)
  // Distinct active-content names found, in order of first appearance, without the slash:
  // JavaScript, JS, Launch, EmbeddedFile, EmbeddedFiles, OpenAction, AA, RichMedia, XFA.
  std::vector<std::string> active_names;
  int objstm_scanned = 0;
  int objstm_unscanned = 0;  // compressed object streams we could not look into
};

PdfScan ScanPdf(std::string_view bytes, uint64_t inflate_budget = 64ull << 20);

}  // namespace scriptgen::extract
