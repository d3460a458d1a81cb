#include "backends/sqlite/sqlite_erase_store.h"

namespace scriptgen::sqlite {
namespace {

constexpr const char* kColumns =
    "id, coalesce(subject_id, ''), subject_hash, reason, actor, state, job_id, requested_at, "
    "completed_at, certificate, error, deleted, audit_from_seq";

store::EraseRequest ReadRequest(const Statement& s) {
  return {s.Text(0), s.Text(1), s.Text(2), s.Text(3),  s.Text(4),  s.Text(5), s.Int(6),
          s.Int(7),  s.Int(8),  s.Text(9), s.Text(10), s.Text(11), s.Int(12)};
}

Status NoSuchRequest(const std::string& id) {
  return NotFound("erase request " + id + " does not exist");
}

}  // namespace

Status SqliteEraseStore::Insert(store::WriteTx& wtx, const store::EraseRequest& r) {
  Tx& tx = Tx::From(wtx);
  StatusOr<Statement*> st = tx.Prepare(
      "INSERT INTO erase_requests(id, subject_id, subject_hash, reason, actor, state, job_id, "
      "requested_at) VALUES (?,?,?,?,?,?,?,?)");
  if (!st.ok()) return st.status();
  (*st)->Bind(1, r.id).Bind(2, r.subject_id).Bind(3, r.subject_hash).Bind(4, r.reason);
  (*st)->Bind(5, r.actor).Bind(6, r.state).Bind(7, r.job_id).Bind(8, r.requested_ms);
  return (*st)->Run();
}

Status SqliteEraseStore::Attach(store::WriteTx& wtx, const std::string& id, int64_t job_id,
                                int64_t audit_from_seq) {
  Tx& tx = Tx::From(wtx);
  StatusOr<Statement*> st =
      tx.Prepare("UPDATE erase_requests SET job_id = ?, audit_from_seq = ? WHERE id = ?");
  if (!st.ok()) return st.status();
  (*st)->Bind(1, job_id).Bind(2, audit_from_seq).Bind(3, id);
  SG_RETURN_IF_ERROR((*st)->Run());
  return tx.conn().Changes() > 0 ? Status::Ok() : NoSuchRequest(id);
}

Status SqliteEraseStore::SetTally(store::WriteTx& wtx, const std::string& id,
                                  const std::string& deleted_json) {
  Tx& tx = Tx::From(wtx);
  StatusOr<Statement*> st = tx.Prepare("UPDATE erase_requests SET deleted = ? WHERE id = ?");
  if (!st.ok()) return st.status();
  (*st)->Bind(1, deleted_json).Bind(2, id);
  SG_RETURN_IF_ERROR((*st)->Run());
  return tx.conn().Changes() > 0 ? Status::Ok() : NoSuchRequest(id);
}

StatusOr<store::EraseRequest> SqliteEraseStore::Get(const std::string& id) {
  StatusOr<ReaderPool::Lease> conn = db_->readers().Acquire();
  if (!conn.ok()) return conn.status();
  StatusOr<Statement*> st =
      (*conn)->Prepare(std::string("SELECT ") + kColumns + " FROM erase_requests WHERE id = ?");
  if (!st.ok()) return st.status();
  (*st)->Bind(1, id);
  store::EraseRequest out;
  StatusOr<bool> found = (*st)->One([&](const Statement& s) { out = ReadRequest(s); });
  if (!found.ok()) return found.status();
  if (!*found) return NoSuchRequest(id);
  return out;
}

Status SqliteEraseStore::Complete(store::WriteTx& wtx, const std::string& id, int64_t completed_ms,
                                  const std::string& certificate_json) {
  Tx& tx = Tx::From(wtx);
  StatusOr<Statement*> st = tx.Prepare(
      "UPDATE erase_requests SET state = 'done', subject_id = NULL, completed_at = ?, "
      "certificate = ? WHERE id = ?");
  if (!st.ok()) return st.status();
  (*st)->Bind(1, completed_ms).Bind(2, certificate_json).Bind(3, id);
  SG_RETURN_IF_ERROR((*st)->Run());
  return tx.conn().Changes() > 0 ? Status::Ok() : NoSuchRequest(id);
}

Status SqliteEraseStore::Fail(const std::string& id, const std::string& error) {
  return db_->writer().Run([&](Tx& tx) -> Status {
    StatusOr<Statement*> st = tx.Prepare(
        "UPDATE erase_requests SET state = 'failed', error = ? WHERE id = ? AND state = 'pending'");
    if (!st.ok()) return st.status();
    (*st)->Bind(1, error).Bind(2, id);
    return (*st)->Run();
  });
}

StatusOr<std::vector<store::EraseRequest>> SqliteEraseStore::ListPending() {
  StatusOr<ReaderPool::Lease> conn = db_->readers().Acquire();
  if (!conn.ok()) return conn.status();
  StatusOr<Statement*> st = (*conn)->Prepare(std::string("SELECT ") + kColumns +
                                             " FROM erase_requests WHERE state != 'done' "
                                             "ORDER BY requested_at");
  if (!st.ok()) return st.status();
  std::vector<store::EraseRequest> out;
  SG_RETURN_IF_ERROR((*st)->Each([&](const Statement& s) { out.push_back(ReadRequest(s)); }));
  return out;
}

}  // namespace scriptgen::sqlite
