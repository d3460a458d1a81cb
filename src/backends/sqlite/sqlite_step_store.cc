#include "backends/sqlite/sqlite_step_store.h"

namespace scriptgen::sqlite {

StatusOr<bool> SqliteStepStore::IsDone(std::string_view key, std::string_view step) {
  StatusOr<ReaderPool::Lease> conn = db_->readers().Acquire();
  if (!conn.ok()) return conn.status();
  StatusOr<Statement*> st =
      (*conn)->Prepare("SELECT 1 FROM step_marks WHERE job_key = ? AND step = ?");
  if (!st.ok()) return st.status();
  (*st)->Bind(1, key).Bind(2, step);
  return (*st)->One([](const Statement&) {});
}

Status SqliteStepStore::Commit(std::string_view key, std::string_view step, Effect effect) {
  return db_->writer().Run([&](Tx& tx) -> Status {
    // Check inside the transaction: a duplicate delivery racing us must not apply the effect twice.
    StatusOr<Statement*> q = tx.Prepare("SELECT 1 FROM step_marks WHERE job_key = ? AND step = ?");
    if (!q.ok()) return q.status();
    (*q)->Bind(1, key).Bind(2, step);
    StatusOr<bool> done = (*q)->One([](const Statement&) {});
    if (!done.ok()) return done.status();
    if (*done) return Status::Ok();
    if (effect) SG_RETURN_IF_ERROR(effect(tx));
    StatusOr<Statement*> ins =
        tx.Prepare("INSERT INTO step_marks(job_key, step, done_at) VALUES (?,?,?)");
    if (!ins.ok()) return ins.status();
    (*ins)->Bind(1, key).Bind(2, step).Bind(3, clock_->NowMs());
    return (*ins)->Run();
  });
}

StatusOr<std::vector<std::string>> SqliteStepStore::DoneSteps(std::string_view key) {
  StatusOr<ReaderPool::Lease> conn = db_->readers().Acquire();
  if (!conn.ok()) return conn.status();
  StatusOr<Statement*> st =
      (*conn)->Prepare("SELECT step FROM step_marks WHERE job_key = ? ORDER BY done_at, step");
  if (!st.ok()) return st.status();
  (*st)->Bind(1, key);
  std::vector<std::string> out;
  SG_RETURN_IF_ERROR((*st)->Each([&](const Statement& s) { out.push_back(s.Text(0)); }));
  return out;
}

Status SqliteStepStore::Clear(store::WriteTx& wtx, std::string_view key) {
  Tx& tx = Tx::From(wtx);
  StatusOr<Statement*> st = tx.Prepare("DELETE FROM step_marks WHERE job_key = ?");
  if (!st.ok()) return st.status();
  (*st)->Bind(1, key);
  return (*st)->Run();
}

}  // namespace scriptgen::sqlite
