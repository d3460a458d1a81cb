// Content-based file typing: libmagic's MIME type for the first bytes of a file, and a direct
// check for executables and scripts, which must be refused whatever name or type they claim.
//
// SniffMime keeps one libmagic handle per thread (thread_local; magic_t is not thread-safe and
// loading the database costs ~ms, so handles are reused). Give it the first 64 KB or more: with
// only a few hundred bytes libmagic misjudges text encodings and OOXML containers.
//
//   std::string mime = SniffMime(std::string_view(bytes).substr(0, kSniffBytes));
//   if (auto exe = DetectExecutable(bytes, mime); !exe.empty()) refuse("the file is " + exe);
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace scriptgen::extract {

inline constexpr size_t kSniffBytes = 64 * 1024;

// "application/pdf", "text/plain", ...; "application/octet-stream" if libmagic is unavailable.
// "application/x-empty" for no bytes.
std::string SniffMime(std::string_view head);

// "" if head is not an executable or script; else a short description for a user, e.g.
// "an ELF executable (Linux/Unix program)" or "a script (starts with #!)". sniffed_mime is
// SniffMime's answer for the same bytes (it settles whether "MZ..." is really a Windows program).
std::string DetectExecutable(std::string_view head, std::string_view sniffed_mime);

}  // namespace scriptgen::extract
