// TokenStore: the port through which access control keeps API tokens (R-S5).
//
// Only a keyed hash of each token is stored (see auth/access_control.h): the store can answer
// "which token has this hash" but never reveal a usable token. Rows are never deleted by
// revocation (revoked_ms is set), so `tokens ls` shows the whole history and audits can refer
// to token ids.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "util/status.h"

namespace scriptgen::store {

struct TokenRecord {
  std::string id;          // public id, "tok_<hex>"; safe to show and log
  std::string hash_hex;    // keyed hash of the secret token
  std::string role;        // "admin" | "writer" | "reader"
  std::string subject_id;  // the data subject a non-admin token is bound to
  std::string note;        // free text from the creator
  int64_t created_ms = 0;
  int64_t expires_ms = 0;  // 0: never
  int64_t revoked_ms = 0;  // 0: not revoked
};

class TokenStore {
 public:
  virtual ~TokenStore() = default;
  // AlreadyExists if the id or the hash is taken.
  virtual Status Insert(const TokenRecord& token) = 0;
  // nullopt when no token has this hash.
  virtual StatusOr<std::optional<TokenRecord>> FindByHash(const std::string& hash_hex) = 0;
  virtual StatusOr<std::vector<TokenRecord>> List() = 0;
  // Sets revoked_ms unless already revoked. NotFound for an unknown id; OK if already revoked.
  virtual Status Revoke(const std::string& id, int64_t now_ms) = 0;
};

}  // namespace scriptgen::store
