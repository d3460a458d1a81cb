// libmagic with MAGIC_MIME_TYPE only (no encoding guess: that is text_decoding's job). The handle
// lives in a thread_local holder whose destructor closes it, so worker threads that exit do not
// leak the ~5 MB database mapping. magic_load failure (no database) degrades to
// "application/octet-stream", which the allow-list refuses: failing closed.
//
// Executables are recognised from their magic numbers ourselves, in addition to libmagic's type,
// so the refusal does not depend on the installed magic database.
#include "extract/mime_sniffer.h"

#include <magic.h>

#include <cstdint>
#include <cstring>

namespace scriptgen::extract {
namespace {

class MagicHandle {
 public:
  MagicHandle() : cookie_(magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS | MAGIC_ERROR)) {
    if (cookie_ != nullptr && magic_load(cookie_, nullptr) != 0) {
      magic_close(cookie_);
      cookie_ = nullptr;
    }
  }
  ~MagicHandle() {
    if (cookie_ != nullptr) magic_close(cookie_);
  }
  MagicHandle(const MagicHandle&) = delete;
  MagicHandle& operator=(const MagicHandle&) = delete;
  magic_t get() const { return cookie_; }

 private:
  magic_t cookie_;
};

uint32_t Be32(std::string_view s) {
  return (uint32_t{static_cast<unsigned char>(s[0])} << 24) |
         (uint32_t{static_cast<unsigned char>(s[1])} << 16) |
         (uint32_t{static_cast<unsigned char>(s[2])} << 8) | static_cast<unsigned char>(s[3]);
}

bool HasPeHeader(std::string_view b) {
  if (b.size() < 0x40) return false;
  const uint32_t off = static_cast<unsigned char>(b[0x3C]) |
                       (uint32_t{static_cast<unsigned char>(b[0x3D])} << 8) |
                       (uint32_t{static_cast<unsigned char>(b[0x3E])} << 16) |
                       (uint32_t{static_cast<unsigned char>(b[0x3F])} << 24);
  // 64-bit arithmetic: off + 4 must not wrap (found by fuzz_validator).
  return uint64_t{off} + 4 <= b.size() && b.substr(off, 4) == std::string_view("PE\0\0", 4);
}

}  // namespace

std::string SniffMime(std::string_view head) {
  if (head.empty()) return "application/x-empty";
  thread_local MagicHandle magic;
  if (magic.get() == nullptr) return "application/octet-stream";
  const char* type = magic_buffer(magic.get(), head.data(), head.size());
  if (type == nullptr) return "application/octet-stream";
  return type;
}

std::string DetectExecutable(std::string_view b, std::string_view mime) {
  if (b.substr(0, 4) ==
      "\x7F"
      "ELF")
    return "an ELF executable (a Linux/Unix program)";
  if (b.size() >= 4) {
    switch (Be32(b)) {
      case 0xFEEDFACE:
      case 0xFEEDFACF:
      case 0xCEFAEDFE:
      case 0xCFFAEDFE:
        return "a Mach-O executable (a macOS program)";
      case 0xCAFEBABE:
      case 0xCAFEBABF:
      case 0xBEBAFECA:
      case 0xBFBAFECA:
        return "a Mach-O universal binary or Java class file (a program)";
      default:
        break;
    }
  }
  if (b.substr(0, 2) == "MZ" && (HasPeHeader(b) || mime == "application/x-dosexec" ||
                                 mime == "application/vnd.microsoft.portable-executable" ||
                                 mime == "application/x-msdownload")) {
    return "a Windows executable (MZ/PE program)";
  }
  std::string_view text = b;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  if (text.substr(0, 2) == "#!") return "a script (it starts with \"#!\")";
  static constexpr std::string_view kExecTypes[] = {
      "application/x-executable", "application/x-pie-executable",
      "application/x-sharedlib",  "application/x-mach-binary",
      "application/x-dosexec",    "application/vnd.microsoft.portable-executable",
      "application/x-msdownload", "application/x-object",
      "application/x-coff",       "application/x-coffexec",
      "application/java-vm",      "application/x-elf"};
  for (std::string_view t : kExecTypes) {
    if (mime == t) return "an executable program (" + std::string(mime) + ")";
  }
  static constexpr std::string_view kScriptTypes[] = {"text/x-shellscript",
                                                      "application/x-shellscript",
                                                      "text/x-perl",
                                                      "text/x-python",
                                                      "text/x-ruby",
                                                      "text/x-php",
                                                      "text/x-msdos-batch",
                                                      "text/x-awk",
                                                      "text/x-tcl",
                                                      "text/x-lua",
                                                      "application/javascript",
                                                      "text/javascript",
                                                      "application/x-bat"};
  for (std::string_view t : kScriptTypes) {
    if (mime == t) return "a script (" + std::string(mime) + ")";
  }
  if (mime.starts_with("text/x-script.")) return "a script (" + std::string(mime) + ")";
  return "";
}

}  // namespace scriptgen::extract
