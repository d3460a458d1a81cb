// A deliberately small PDF lexer: names and the "stream"/"endstream" keywords are all we need, so
// we do not build an object graph (poppler does that later, after these checks). Stream data is
// delimited by searching for "endstream" rather than trusting /Length, which may be indirect or
// wrong; a stray "endstream" inside binary data only makes us resume scanning early, and scanning
// binary as if it were syntax can only add (safe-side) findings.
//
// Object streams are where PDF 1.5+ writers put dictionaries, including actions; a scanner that
// skipped them would miss JavaScript hidden from plain-text grep. Inflating them is cheap (they
// hold only small dictionaries); the budget protects against a Flate bomb posing as one.
#include "extract/pdf_scanner.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace scriptgen::extract {
namespace {

constexpr std::array<std::string_view, 9> kActive = {
    "JavaScript", "JS", "Launch",    "EmbeddedFile", "EmbeddedFiles",
    "OpenAction", "AA", "RichMedia", "XFA"};

bool IsWhite(unsigned char c) {
  return c == 0 || c == 9 || c == 10 || c == 12 || c == 13 || c == 32;
}
bool IsDelim(unsigned char c) {
  return std::strchr("()<>[]{}/%", c) != nullptr && c != 0;
}
int Hex(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

struct Scanner {
  PdfScan* out;
  uint64_t budget;

  void Found(std::string_view name) {
    if (name == "Encrypt") {
      out->encrypted = true;
      return;
    }
    if (std::find(kActive.begin(), kActive.end(), name) == kActive.end()) return;
    if (std::find(out->active_names.begin(), out->active_names.end(), name) ==
        out->active_names.end()) {
      out->active_names.emplace_back(name);
    }
  }

  // Names in s; also reports whether the names /ObjStm and /FlateDecode occurred, and how many
  // filter names there were, for the stream dictionary that s ends with.
  void Names(std::string_view s, bool* objstm = nullptr, int* filters = nullptr,
             bool* flate = nullptr) {
    std::string name;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] != '/') continue;
      name.clear();
      size_t j = i + 1;
      while (j < s.size() && !IsWhite(s[j]) && !IsDelim(s[j]) && name.size() < 64) {
        if (s[j] == '#' && j + 2 < s.size() && Hex(s[j + 1]) >= 0 && Hex(s[j + 2]) >= 0) {
          name.push_back(static_cast<char>(Hex(s[j + 1]) * 16 + Hex(s[j + 2])));
          j += 3;
        } else {
          name.push_back(s[j++]);
        }
      }
      Found(name);
      if (objstm && name == "ObjStm") *objstm = true;
      if (flate && (name == "FlateDecode" || name == "Fl")) *flate = true;
      if (filters && (name.ends_with("Decode") || name == "Fl" || name == "AHx" || name == "A85" ||
                      name == "LZW" || name == "RL" || name == "CCF" || name == "DCT")) {
        ++*filters;
      }
      i = j - 1;
    }
  }

  // Inflates zlib data within the budget; returns what could be inflated.
  std::string Inflate(std::string_view data) {
    std::string result;
    z_stream zs{};
    if (inflateInit(&zs) != Z_OK) return result;
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = static_cast<uInt>(std::min<size_t>(data.size(), UINT32_MAX));
    std::array<char, 16384> buf;
    int rc = Z_OK;
    while (rc == Z_OK && budget > 0) {
      zs.next_out = reinterpret_cast<Bytef*>(buf.data());
      zs.avail_out = buf.size();
      rc = inflate(&zs, Z_NO_FLUSH);
      const size_t got = buf.size() - zs.avail_out;
      const size_t keep = std::min<uint64_t>(got, budget);
      result.append(buf.data(), keep);
      budget -= keep;
      if (got == 0 && rc == Z_OK) break;  // no progress: truncated input
    }
    inflateEnd(&zs);
    return result;
  }

  void Run(std::string_view b) {
    size_t pos = 0;
    while (pos < b.size()) {
      size_t kw = b.find("stream", pos);
      while (kw != std::string_view::npos &&
             ((kw >= 3 && b.substr(kw - 3, 3) == "end") ||
              (kw + 6 < b.size() && b[kw + 6] != '\r' && b[kw + 6] != '\n'))) {
        kw = b.find("stream", kw + 6);
      }
      if (kw == std::string_view::npos) {
        Names(b.substr(pos));
        return;
      }
      // The stream's dictionary: from the last "obj" keyword before it.
      size_t obj = b.rfind("obj", kw);
      if (obj == std::string_view::npos || obj < pos) obj = pos;
      Names(b.substr(pos, obj - pos));
      bool objstm = false, flate = false;
      int filters = 0;
      Names(b.substr(obj, kw - obj), &objstm, &filters, &flate);

      size_t data = kw + 6;
      if (data < b.size() && b[data] == '\r') ++data;
      if (data < b.size() && b[data] == '\n') ++data;
      size_t end = b.find("endstream", data);
      if (end == std::string_view::npos) end = b.size();
      if (objstm) {
        if (flate && filters == 1 && budget > 0) {
          Names(Inflate(b.substr(data, end - data)));
          ++out->objstm_scanned;
        } else {
          ++out->objstm_unscanned;
        }
      }
      pos = end == b.size() ? end : end + 9;
    }
  }
};

}  // namespace

PdfScan ScanPdf(std::string_view bytes, uint64_t inflate_budget) {
  PdfScan scan;
  scan.header = bytes.substr(0, 1024).find("%PDF-") != std::string_view::npos;
  const size_t tail = bytes.size() > 2048 ? bytes.size() - 2048 : 0;
  scan.eof_marker = bytes.substr(tail).find("%%EOF") != std::string_view::npos;
  Scanner s{&scan, inflate_budget};
  s.Run(bytes);
  return scan;
}

}  // namespace scriptgen::extract
