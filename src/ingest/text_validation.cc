#include "ingest/text_validation.h"

#include <algorithm>
#include <cctype>

namespace scriptgen::ingest {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t len;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and out-of-range code points are invalid.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}

Status CheckDeclaredType(std::string_view declared_mime, std::string_view filename) {
  std::string mime = Lower(declared_mime.substr(0, declared_mime.find(';')));
  mime.erase(std::remove_if(mime.begin(), mime.end(), [](char c) { return c == ' '; }), mime.end());
  const std::string name = Lower(filename);
  const bool text_mime =
      mime == "text/plain" || mime == "text/markdown" || mime == "text/x-markdown";
  const bool vague_mime = mime.empty() || mime == "application/octet-stream";
  const bool text_name = EndsWith(name, ".txt") || EndsWith(name, ".md") ||
                         EndsWith(name, ".markdown") || EndsWith(name, ".text");
  if (!text_mime && !(vague_mime && text_name)) {
    return Status(Code::kUnsupported, "unsupported document type '" + std::string(declared_mime) +
                                          "': this version accepts UTF-8 text and Markdown");
  }
  return Status::Ok();
}

Status ValidateTextDocument(std::string_view declared_mime, std::string_view filename,
                            std::string_view head_bytes) {
  SG_RETURN_IF_ERROR(CheckDeclaredType(declared_mime, filename));
  if (head_bytes.find('\0') != std::string_view::npos) {
    return Status(Code::kUnsupported, "the file contains NUL bytes: it is binary, not text");
  }
  // The head may end inside a multi-byte sequence: ignore up to 3 trailing bytes of one.
  std::string_view check = head_bytes;
  for (int k = 0; k < 3 && !check.empty() && !IsValidUtf8(check); ++k) {
    check.remove_suffix(1);
  }
  if (!IsValidUtf8(check)) {
    return InvalidArgument("the file is not valid UTF-8 text");
  }
  return Status::Ok();
}

std::string NormalizeText(std::string_view raw) {
  if (raw.substr(0, 3) == "\xEF\xBB\xBF") raw.remove_prefix(3);
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\r') {
      out.push_back('\n');
      if (i + 1 < raw.size() && raw[i + 1] == '\n') ++i;
    } else {
      out.push_back(raw[i]);
    }
  }
  return out;
}

}  // namespace scriptgen::ingest
