// The Content-Type an upload is sent with, from the file's extension (case-insensitive).
// The server sniffs and validates content itself; this only declares what the file claims to be.
//
//   ContentTypeForPath("notes/Plan.MD") == "text/markdown"
#pragma once

#include <filesystem>
#include <string_view>

namespace scriptgen::client {

// .md/.markdown -> text/markdown, .txt/.text -> text/plain, anything else
// application/octet-stream.
std::string_view ContentTypeForPath(const std::filesystem::path& path);

}  // namespace scriptgen::client
