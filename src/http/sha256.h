// Sha256: incremental SHA-256 over byte chunks (OpenSSL EVP), for hashing bodies while they stream.
//
//   Sha256 h;
//   h.Update(chunk1);
//   h.Update(chunk2);
//   std::string hex = h.FinishHex();  // 64 lowercase hex digits; the object is then spent
//
// Not thread-safe; one instance per stream. Movable, not copyable.
#pragma once

#include <string>
#include <string_view>

namespace scriptgen::http {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&& other) noexcept;
  Sha256& operator=(Sha256&& other) noexcept;
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(std::string_view bytes);
  // Finalises and returns the digest in lowercase hex. Update/FinishHex after this is an error.
  std::string FinishHex();

 private:
  void* ctx_;  // EVP_MD_CTX*, opaque so this header does not pull in OpenSSL
};

}  // namespace scriptgen::http
