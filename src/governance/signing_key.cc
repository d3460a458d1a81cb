// Ed25519 through libsodium: deterministic signatures (no per-signature randomness to get wrong),
// 64-byte signatures and 32-byte keys that fit in a JSON field, and verification that anyone can
// reproduce with standard tools. Only the seed is stored: the full secret key and the public key
// are derived from it on load (crypto_sign_seed_keypair), so a file cannot hold a mismatched pair.
#include "governance/signing_key.h"

#include <openssl/sha.h>
#include <sodium.h>

#include "governance/key_file.h"

namespace scriptgen::governance {
namespace {

constexpr int kB64 = sodium_base64_VARIANT_ORIGINAL;

}  // namespace

Status InitSodium() {
  static const int rc = sodium_init();  // thread-safe static init; sodium_init is idempotent
  if (rc < 0) return Internal("libsodium failed to initialise");
  return Status::Ok();
}

std::string Base64Encode(std::string_view bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), kB64), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), kB64);
  out.resize(out.size() - 1);  // the encoded length counts the terminating NUL
  return out;
}

StatusOr<std::string> Base64Decode(std::string_view b64) {
  SG_RETURN_IF_ERROR(InitSodium());
  std::string out(b64.size() / 4 * 3 + 3, '\0');
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), b64.data(),
                        b64.size(), nullptr, &len, &end, kB64) != 0 ||
      end != b64.data() + b64.size()) {
    return InvalidArgument("malformed base64");
  }
  out.resize(len);
  return out;
}

StatusOr<std::string> KeyIdOf(std::string_view public_key_b64) {
  StatusOr<std::string> raw = Base64Decode(public_key_b64);
  if (!raw.ok() || raw->size() != crypto_sign_PUBLICKEYBYTES) {
    return InvalidArgument("not an Ed25519 public key (base64 of 32 bytes)");
  }
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(raw->data()), raw->size(), digest);
  return "ed25519:" + HexEncode(std::string_view(reinterpret_cast<const char*>(digest), 16));
}

StatusOr<SigningKey> SigningKey::FromSeed(std::string_view seed) {
  SG_RETURN_IF_ERROR(InitSodium());
  if (seed.size() != crypto_sign_SEEDBYTES) return InvalidArgument("an Ed25519 seed is 32 bytes");
  SigningKey key;
  crypto_sign_seed_keypair(key.public_.data(), key.secret_.data(),
                           reinterpret_cast<const unsigned char*>(seed.data()));
  return key;
}

StatusOr<SigningKey> SigningKey::Load(const std::string& path) {
  StatusOr<std::string> seed = LoadKeyFile(path);
  if (!seed.ok()) return seed.status();
  StatusOr<SigningKey> key = FromSeed(*seed);
  sodium_memzero(seed->data(), seed->size());
  return key;
}

StatusOr<SigningKey> SigningKey::LoadOrCreate(const std::string& path) {
  SG_RETURN_IF_ERROR(InitSodium());
  StatusOr<std::string> seed = LoadOrCreateKeyFile(path);
  if (!seed.ok()) return seed.status();
  StatusOr<SigningKey> key = FromSeed(*seed);
  sodium_memzero(seed->data(), seed->size());
  return key;
}

SigningKey::SigningKey(SigningKey&& other) noexcept
    : secret_(other.secret_), public_(other.public_) {
  sodium_memzero(other.secret_.data(), other.secret_.size());
}

SigningKey& SigningKey::operator=(SigningKey&& other) noexcept {
  if (this != &other) {
    secret_ = other.secret_;
    public_ = other.public_;
    sodium_memzero(other.secret_.data(), other.secret_.size());
  }
  return *this;
}

SigningKey::~SigningKey() {
  sodium_memzero(secret_.data(), secret_.size());
}

std::string SigningKey::PublicKeyBase64() const {
  return Base64Encode(std::string_view(reinterpret_cast<const char*>(public_.data()), 32));
}

std::string SigningKey::KeyId() const {
  StatusOr<std::string> id = KeyIdOf(PublicKeyBase64());
  return id.ok() ? *id : std::string();
}

std::string SigningKey::Sign(std::string_view bytes) const {
  unsigned char sig[crypto_sign_BYTES];
  crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(bytes.data()),
                       bytes.size(), secret_.data());
  return Base64Encode(std::string_view(reinterpret_cast<const char*>(sig), sizeof sig));
}

Status SigningKey::Verify(std::string_view public_key_b64, std::string_view bytes,
                          std::string_view sig_b64) {
  SG_RETURN_IF_ERROR(InitSodium());
  StatusOr<std::string> pk = Base64Decode(public_key_b64);
  if (!pk.ok() || pk->size() != crypto_sign_PUBLICKEYBYTES) {
    return InvalidArgument("not an Ed25519 public key (base64 of 32 bytes)");
  }
  StatusOr<std::string> sig = Base64Decode(sig_b64);
  if (!sig.ok() || sig->size() != crypto_sign_BYTES) {
    return InvalidArgument("not an Ed25519 signature (base64 of 64 bytes)");
  }
  if (crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(sig->data()),
                                  reinterpret_cast<const unsigned char*>(bytes.data()),
                                  bytes.size(),
                                  reinterpret_cast<const unsigned char*>(pk->data())) != 0) {
    return PermissionDenied("signature does not match");
  }
  return Status::Ok();
}

}  // namespace scriptgen::governance
