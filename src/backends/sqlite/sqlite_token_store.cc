// One row per token ever created; revocation only stamps revoked_at, so listings keep history.
#include "backends/sqlite/sqlite_token_store.h"

namespace scriptgen::sqlite {
namespace {

constexpr const char* kColumns =
    "id, hash, role, subject_id, note, created_at, expires_at, revoked_at";

store::TokenRecord ReadToken(const Statement& s) {
  return {s.Text(0), s.Text(1), s.Text(2), s.Text(3), s.Text(4), s.Int(5), s.Int(6), s.Int(7)};
}

}  // namespace

Status SqliteTokenStore::Insert(const store::TokenRecord& t) {
  Status s = db_->writer().Run([&](Tx& tx) -> Status {
    StatusOr<Statement*> st = tx.Prepare(std::string("INSERT INTO api_tokens(") + kColumns +
                                         ") VALUES (?,?,?,?,?,?,?,?)");
    if (!st.ok()) return st.status();
    (*st)->Bind(1, t.id).Bind(2, t.hash_hex).Bind(3, t.role).Bind(4, t.subject_id);
    (*st)->Bind(5, t.note).Bind(6, t.created_ms).Bind(7, t.expires_ms).Bind(8, t.revoked_ms);
    return (*st)->Run();
  });
  if (s.code() == Code::kAlreadyExists || s.message().find("UNIQUE") != std::string::npos) {
    return AlreadyExists("token " + t.id + " already exists");
  }
  return s;
}

StatusOr<std::optional<store::TokenRecord>> SqliteTokenStore::FindByHash(
    const std::string& hash_hex) {
  StatusOr<ReaderPool::Lease> conn = db_->readers().Acquire();
  if (!conn.ok()) return conn.status();
  StatusOr<Statement*> st =
      (*conn)->Prepare(std::string("SELECT ") + kColumns + " FROM api_tokens WHERE hash = ?");
  if (!st.ok()) return st.status();
  (*st)->Bind(1, hash_hex);
  std::optional<store::TokenRecord> out;
  StatusOr<bool> found = (*st)->One([&](const Statement& s) { out = ReadToken(s); });
  if (!found.ok()) return found.status();
  return out;
}

StatusOr<std::vector<store::TokenRecord>> SqliteTokenStore::List() {
  StatusOr<ReaderPool::Lease> conn = db_->readers().Acquire();
  if (!conn.ok()) return conn.status();
  StatusOr<Statement*> st = (*conn)->Prepare(std::string("SELECT ") + kColumns +
                                             " FROM api_tokens ORDER BY created_at, id");
  if (!st.ok()) return st.status();
  std::vector<store::TokenRecord> out;
  SG_RETURN_IF_ERROR((*st)->Each([&](const Statement& s) { out.push_back(ReadToken(s)); }));
  return out;
}

Status SqliteTokenStore::Revoke(const std::string& id, int64_t now_ms) {
  return db_->writer().Run([&](Tx& tx) -> Status {
    StatusOr<Statement*> st = tx.Prepare(
        "UPDATE api_tokens SET revoked_at = CASE revoked_at WHEN 0 THEN ?1 ELSE revoked_at END "
        "WHERE id = ?2");
    if (!st.ok()) return st.status();
    (*st)->Bind(1, now_ms).Bind(2, id);
    SG_RETURN_IF_ERROR((*st)->Run());
    if (tx.conn().Changes() == 0) return NotFound("no token with id " + id);
    return Status::Ok();
  });
}

}  // namespace scriptgen::sqlite
