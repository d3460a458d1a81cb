// A table lookup on the lower-cased extension; grows as the server learns more formats.
#include "client/content_type.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace scriptgen::client {

std::string_view ContentTypeForPath(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (ext == ".md" || ext == ".markdown") return "text/markdown";
  if (ext == ".txt" || ext == ".text") return "text/plain";
  return "application/octet-stream";
}

}  // namespace scriptgen::client
