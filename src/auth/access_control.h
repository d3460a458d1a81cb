// AccessControlManager: API tokens and the authentication of requests (R-S5).
//
// Tokens are opaque random strings ("sgt_" + 43 base64url characters, 256 bits) shown exactly
// once, when created. The store keeps only HMAC-SHA256(server key, token): a stolen database
// yields no usable token, and without the key not even an offline guess can be checked. Lookup is
// by that hash, so the time a check takes does not depend on how close a guess was; the
// bootstrap admin token (from the environment or the data directory) is compared in constant time.
//
// Revocation and expiry are checked on every request against the store (one indexed read), so a
// revoked token stops working at once, on every server sharing the store.
//
//   AccessControlManager acm(&token_store, key, admin_token);
//   StatusOr<CreatedToken> t = acm.Create(Role::kWriter, "subject-1", Days(30), "ci");
//   Show(t->token);                                 // only now
//   StatusOr<Principal> who = acm.Authenticate(bearer);  // Unauthenticated if not valid
//
// Thread-safe (the store is).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/principal.h"
#include "store/audit_store.h"
#include "store/token_store.h"
#include "util/clock.h"
#include "util/status.h"

namespace scriptgen::auth {

struct CreatedToken {
  store::TokenRecord record;
  std::string token;  // the secret; never stored, never logged
};

class AccessControlManager {
 public:
  // hash_key: at least 32 bytes of secret key material. admin_token: the bootstrap admin token
  // (empty: none).
  // audit (optional): token creations and revocations are recorded there (ids and roles only).
  AccessControlManager(store::TokenStore* tokens, std::string hash_key, std::string admin_token,
                       const Clock* clock = SystemClock::Get(), store::AuditStore* audit = nullptr);

  // InvalidArgument: an admin token with a subject, a writer/reader token without one, a subject
  // longer than 255 bytes, or a lifetime outside 1 second..10 years.
  StatusOr<CreatedToken> Create(Role role, const std::string& subject_id,
                                std::optional<std::chrono::milliseconds> expires_in,
                                const std::string& note = "", const std::string& actor = "admin");
  StatusOr<std::vector<store::TokenRecord>> List();
  Status Revoke(const std::string& token_id, const std::string& actor = "admin");

  // The principal a bearer token stands for; Unauthenticated (with the reason: unknown, expired,
  // revoked) otherwise.
  StatusOr<Principal> Authenticate(std::string_view bearer_token);

  // The stored form of a token.
  std::string HashToken(std::string_view token) const;

 private:
  store::TokenStore* const tokens_;
  const std::string hash_key_;
  const std::string admin_token_;
  const Clock* const clock_;
  store::AuditStore* const audit_;
};

// "30d", "12h", "15m", "90s" -> duration; InvalidArgument otherwise.
StatusOr<std::chrono::milliseconds> ParseDuration(std::string_view text);

}  // namespace scriptgen::auth
