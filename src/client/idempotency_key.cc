// SHA-256 (OpenSSL) over NUL-separated fields, truncated to 160 bits: collisions are irrelevant
// at that size and the key stays short in server logs.
#include "client/idempotency_key.h"

#include <openssl/evp.h>

#include <filesystem>

namespace scriptgen::client {

std::string IdempotencyKey(const FileEntry& file, const std::string& subject_id) {
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::weakly_canonical(file.path, ec);
  if (ec) abs = std::filesystem::absolute(file.path, ec);
  std::string material = abs.string();
  material.push_back('\0');
  material += std::to_string(file.size);
  material.push_back('\0');
  material += std::to_string(file.mtime_ns);
  material.push_back('\0');
  material += subject_id;

  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(material.data(), material.size(), digest, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "cli-";
  for (unsigned int i = 0; i < 20 && i < len; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xF]);
  }
  return out;
}

}  // namespace scriptgen::client
