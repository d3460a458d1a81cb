// Design notes:
//  * Token entropy comes from OpenSSL's RAND_bytes (the OS CSPRNG); ids are separate random
//    values so a token id (shown in listings and logs) reveals nothing about the secret.
//  * Status messages never contain a token or its hash: they end up in HTTP error bodies and logs.
#include "auth/access_control.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <charconv>

namespace scriptgen::auth {
namespace {

constexpr std::string_view kTokenPrefix = "sgt_";
constexpr size_t kMaxSubjectBytes = 255;

std::string Hex(const unsigned char* p, size_t n) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (size_t i = 0; i < n; ++i) {
    out += kHex[p[i] >> 4];
    out += kHex[p[i] & 15];
  }
  return out;
}

std::string Base64Url(const unsigned char* p, size_t n) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < n; ++i) {
    acc = (acc << 8) | p[i];
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kAlphabet[(acc >> bits) & 63];
    }
  }
  if (bits > 0) out += kAlphabet[(acc << (6 - bits)) & 63];
  return out;
}

Status Random(unsigned char* p, size_t n) {
  return RAND_bytes(p, static_cast<int>(n)) == 1 ? Status::Ok()
                                                 : Internal("no randomness for a token");
}

}  // namespace

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kAdmin:
      return "admin";
    case Role::kWriter:
      return "writer";
    case Role::kReader:
      return "reader";
  }
  return "reader";
}

std::optional<Role> ParseRole(std::string_view name) {
  if (name == "admin") return Role::kAdmin;
  if (name == "writer") return Role::kWriter;
  if (name == "reader") return Role::kReader;
  return std::nullopt;
}

StatusOr<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  if (text.size() < 2)
    return InvalidArgument("duration '" + std::string(text) + "' is not like 30d");
  int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size() - 1, n);
  if (ec != std::errc() || end != text.data() + text.size() - 1 || n <= 0 || n > 100'000'000) {
    return InvalidArgument("duration '" + std::string(text) + "' is not like 30d, 12h, 15m or 90s");
  }
  switch (text.back()) {
    case 'd':
      return std::chrono::milliseconds(n * 86'400'000);
    case 'h':
      return std::chrono::milliseconds(n * 3'600'000);
    case 'm':
      return std::chrono::milliseconds(n * 60'000);
    case 's':
      return std::chrono::milliseconds(n * 1000);
  }
  return InvalidArgument("duration '" + std::string(text) + "' needs a unit: d, h, m or s");
}

AccessControlManager::AccessControlManager(store::TokenStore* tokens, std::string hash_key,
                                           std::string admin_token, const Clock* clock,
                                           store::AuditStore* audit)
    : tokens_(tokens),
      hash_key_(std::move(hash_key)),
      admin_token_(std::move(admin_token)),
      clock_(clock),
      audit_(audit) {}

std::string AccessControlManager::HashToken(std::string_view token) const {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), hash_key_.data(), static_cast<int>(hash_key_.size()),
       reinterpret_cast<const unsigned char*>(token.data()), token.size(), mac, &len);
  return Hex(mac, len);
}

StatusOr<CreatedToken> AccessControlManager::Create(
    Role role, const std::string& subject_id, std::optional<std::chrono::milliseconds> expires_in,
    const std::string& note, const std::string& actor) {
  if (role == Role::kAdmin && !subject_id.empty()) {
    return InvalidArgument("admin tokens are not bound to a subject; leave subject_id out");
  }
  if (role != Role::kAdmin && subject_id.empty()) {
    return InvalidArgument(std::string(RoleName(role)) + " tokens need a subject_id");
  }
  if (subject_id.size() > kMaxSubjectBytes) {
    return InvalidArgument("subject_id is longer than 255 bytes");
  }
  if (note.size() > 200) return InvalidArgument("note is longer than 200 bytes");
  constexpr auto kMinLife = std::chrono::seconds(1);
  constexpr auto kMaxLife = std::chrono::hours(24 * 3660);
  if (expires_in && (*expires_in < kMinLife || *expires_in > kMaxLife)) {
    return InvalidArgument("a token lifetime must be between 1 second and 10 years");
  }
  unsigned char secret[32];
  unsigned char id[8];
  SG_RETURN_IF_ERROR(Random(secret, sizeof(secret)));
  SG_RETURN_IF_ERROR(Random(id, sizeof(id)));
  CreatedToken out;
  out.token = std::string(kTokenPrefix) + Base64Url(secret, sizeof(secret));
  OPENSSL_cleanse(secret, sizeof(secret));
  store::TokenRecord& r = out.record;
  r.id = "tok_" + Hex(id, sizeof(id));
  r.hash_hex = HashToken(out.token);
  r.role = std::string(RoleName(role));
  r.subject_id = subject_id;
  r.note = note;
  r.created_ms = clock_->NowMs();
  r.expires_ms = expires_in ? r.created_ms + expires_in->count() : 0;
  SG_RETURN_IF_ERROR(tokens_->Insert(r));
  if (audit_ != nullptr) {
    StatusOr<store::AuditEntry> e =
        audit_->Append({actor, "token.create", r.id, "{\"role\":\"" + r.role + "\"}", 0});
    if (!e.ok()) return e.status();
  }
  return out;
}

StatusOr<std::vector<store::TokenRecord>> AccessControlManager::List() {
  return tokens_->List();
}

Status AccessControlManager::Revoke(const std::string& token_id, const std::string& actor) {
  SG_RETURN_IF_ERROR(tokens_->Revoke(token_id, clock_->NowMs()));
  if (audit_ == nullptr) return Status::Ok();
  return audit_->Append({actor, "token.revoke", token_id, "{}", 0}).status();
}

StatusOr<Principal> AccessControlManager::Authenticate(std::string_view bearer) {
  if (bearer.empty()) return Unauthenticated("missing bearer token");
  if (!admin_token_.empty() && bearer.size() == admin_token_.size() &&
      CRYPTO_memcmp(bearer.data(), admin_token_.data(), admin_token_.size()) == 0) {
    return Principal{Role::kAdmin, "", "admin"};
  }
  if (bearer.size() > 256 || bearer.substr(0, kTokenPrefix.size()) != kTokenPrefix) {
    return Unauthenticated("invalid bearer token");
  }
  StatusOr<std::optional<store::TokenRecord>> found = tokens_->FindByHash(HashToken(bearer));
  if (!found.ok()) return found.status();
  if (!found->has_value()) return Unauthenticated("invalid bearer token");
  const store::TokenRecord& r = **found;
  if (r.revoked_ms != 0) return Unauthenticated("token " + r.id + " was revoked");
  if (r.expires_ms != 0 && clock_->NowMs() >= r.expires_ms) {
    return Unauthenticated("token " + r.id + " has expired");
  }
  std::optional<Role> role = ParseRole(r.role);
  if (!role) return Internal("token " + r.id + " has an unknown role");
  return Principal{*role, r.role == "admin" ? std::string() : r.subject_id, r.id};
}

}  // namespace scriptgen::auth
