// SigningKey: the server's Ed25519 key (libsodium), which signs deletion certificates and audit
// checkpoints. Its public key is served at GET /v1/admin/signing-key so anyone can verify them.
//
// The secret is the 32-byte seed in <data-dir>/signing.key (64 hex characters, mode 0600, created
// once, atomically and exclusively, by LoadOrCreate; see key_file.h); the public key is derived
// from it, so the two can never disagree. Loss of the file means certificates issued so far can
// still be verified with the published public key, but new ones carry a new key.
//
//   StatusOr<SigningKey> key = SigningKey::LoadOrCreate(SigningKeyPath(data_dir));
//   std::string sig = key->Sign(bytes);
//   Status ok = SigningKey::Verify(key->PublicKeyBase64(), bytes, sig);
//
// Thread-safe after construction (all methods are const). Move-only; the secret is wiped on
// destruction.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "util/status.h"

namespace scriptgen::governance {

// Initialises libsodium once per process (idempotent, thread-safe). Every entry point below calls
// it; exposed for code that uses libsodium directly.
Status InitSodium();

class SigningKey {
 public:
  // Loads the key at path, creating it if it does not exist.
  static StatusOr<SigningKey> LoadOrCreate(const std::string& path);
  // Loads an existing key (verification tools must never create one): NotFound if absent.
  static StatusOr<SigningKey> Load(const std::string& path);
  // The key of a 32-byte seed (tests; deterministic keys).
  static StatusOr<SigningKey> FromSeed(std::string_view seed);

  SigningKey(SigningKey&& other) noexcept;
  SigningKey& operator=(SigningKey&& other) noexcept;
  SigningKey(const SigningKey&) = delete;
  SigningKey& operator=(const SigningKey&) = delete;
  ~SigningKey();

  // Standard base64 (with padding) of the 32-byte public key.
  std::string PublicKeyBase64() const;
  // Short, stable id of the public key: "ed25519:" + first 16 bytes of its SHA-256, hex.
  std::string KeyId() const;
  // Detached Ed25519 signature of bytes, standard base64.
  std::string Sign(std::string_view bytes) const;

  // OK iff sig_b64 is a valid signature of bytes by public_key_b64. InvalidArgument for malformed
  // base64 or key, PermissionDenied for a signature that does not match.
  static Status Verify(std::string_view public_key_b64, std::string_view bytes,
                       std::string_view sig_b64);

 private:
  SigningKey() = default;
  std::array<unsigned char, 64> secret_{};  // libsodium layout: seed || public key
  std::array<unsigned char, 32> public_{};
};

// KeyId of a base64 public key; InvalidArgument if it is not one.
StatusOr<std::string> KeyIdOf(std::string_view public_key_b64);
// Decodes standard base64 (padding required); InvalidArgument if malformed.
StatusOr<std::string> Base64Decode(std::string_view b64);
std::string Base64Encode(std::string_view bytes);

}  // namespace scriptgen::governance
