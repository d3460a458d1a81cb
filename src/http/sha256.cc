// Sha256 on OpenSSL's EVP interface.
//
// EVP (rather than the deprecated SHA256_Init family) picks the fastest implementation for the CPU
// (SHA-NI/AVX2), which matters because every uploaded byte goes through here on a network thread.
// OpenSSL failures here mean memory exhaustion or a broken library, so they abort via exception
// instead of threading a Status through every Update call.
#include "http/sha256.h"

#include <openssl/evp.h>

#include <stdexcept>
#include <utility>

namespace scriptgen::http {
namespace {

EVP_MD_CTX* Ctx(void* p) {
  return static_cast<EVP_MD_CTX*>(p);
}

}  // namespace

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr || EVP_DigestInit_ex(Ctx(ctx_), EVP_sha256(), nullptr) != 1) {
    EVP_MD_CTX_free(Ctx(ctx_));
    throw std::runtime_error("EVP SHA-256 init failed");
  }
}

Sha256::~Sha256() {
  EVP_MD_CTX_free(Ctx(ctx_));
}

Sha256::Sha256(Sha256&& other) noexcept : ctx_(std::exchange(other.ctx_, nullptr)) {}

Sha256& Sha256::operator=(Sha256&& other) noexcept {
  if (this != &other) {
    EVP_MD_CTX_free(Ctx(ctx_));
    ctx_ = std::exchange(other.ctx_, nullptr);
  }
  return *this;
}

void Sha256::Update(std::string_view bytes) {
  if (bytes.empty()) return;
  if (EVP_DigestUpdate(Ctx(ctx_), bytes.data(), bytes.size()) != 1) {
    throw std::runtime_error("EVP SHA-256 update failed");
  }
}

std::string Sha256::FinishHex() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(Ctx(ctx_), digest, &len) != 1) {
    throw std::runtime_error("EVP SHA-256 final failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0xf]);
  }
  return hex;
}

}  // namespace scriptgen::http
