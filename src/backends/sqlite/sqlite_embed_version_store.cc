// The registry is a handful of rows, read on start and on admin actions only, so every method is
// a plain statement; Activate's three updates share one writer transaction so search can never
// see two active versions or none.
#include "backends/sqlite/sqlite_embed_version_store.h"

namespace scriptgen::sqlite {

using store::EmbedVersion;
using store::EmbedVersionState;

namespace {

constexpr const char* kColumns =
    "name, provider, model, dimension, params, state, created_at, activated_at, retired_at";

EmbedVersion ReadVersion(const Statement& s) {
  EmbedVersion v;
  v.name = s.Text(0);
  v.provider = s.Text(1);
  v.model = s.Text(2);
  v.dimension = s.Int(3);
  v.params_json = s.Text(4);
  v.state = store::ParseEmbedVersionState(s.Text(5)).value_or(EmbedVersionState::kInactive);
  v.created_ms = s.Int(6);
  v.activated_ms = s.Int(7);
  v.retired_ms = s.Int(8);
  return v;
}

Status UpdateState(Tx& tx, std::string_view from, std::string_view to) {
  StatusOr<Statement*> st = tx.Prepare("UPDATE embed_versions SET state = ? WHERE state = ?");
  if (!st.ok()) return st.status();
  (*st)->Bind(1, to).Bind(2, from);
  return (*st)->Run();
}

}  // namespace

StatusOr<std::vector<EmbedVersion>> SqliteEmbedVersionStore::List() {
  StatusOr<ReaderPool::Lease> conn = db_->readers().Acquire();
  if (!conn.ok()) return conn.status();
  StatusOr<Statement*> st = (*conn)->Prepare(std::string("SELECT ") + kColumns +
                                             " FROM embed_versions ORDER BY created_at, name");
  if (!st.ok()) return st.status();
  std::vector<EmbedVersion> out;
  SG_RETURN_IF_ERROR((*st)->Each([&](const Statement& s) { out.push_back(ReadVersion(s)); }));
  return out;
}

StatusOr<EmbedVersion> SqliteEmbedVersionStore::Get(const std::string& name) {
  StatusOr<ReaderPool::Lease> conn = db_->readers().Acquire();
  if (!conn.ok()) return conn.status();
  StatusOr<Statement*> st =
      (*conn)->Prepare(std::string("SELECT ") + kColumns + " FROM embed_versions WHERE name = ?");
  if (!st.ok()) return st.status();
  (*st)->Bind(1, name);
  EmbedVersion v;
  StatusOr<bool> found = (*st)->One([&](const Statement& s) { v = ReadVersion(s); });
  if (!found.ok()) return found.status();
  if (!*found) return NotFound("no embed_version named '" + name + "'");
  return v;
}

Status SqliteEmbedVersionStore::Insert(const EmbedVersion& v) {
  return db_->writer().Run([&](Tx& tx) -> Status {
    StatusOr<Statement*> exists = tx.Prepare("SELECT 1 FROM embed_versions WHERE name = ?");
    if (!exists.ok()) return exists.status();
    (*exists)->Bind(1, v.name);
    StatusOr<bool> found = (*exists)->One([](const Statement&) {});
    if (!found.ok()) return found.status();
    if (*found) return AlreadyExists("embed_version '" + v.name + "' is already registered");
    StatusOr<Statement*> st = tx.Prepare(std::string("INSERT INTO embed_versions(") + kColumns +
                                         ") VALUES (?,?,?,?,?,?,?,?,?)");
    if (!st.ok()) return st.status();
    (*st)->Bind(1, v.name).Bind(2, v.provider).Bind(3, v.model).Bind(4, v.dimension);
    (*st)->Bind(5, v.params_json).Bind(6, store::EmbedVersionStateName(v.state));
    (*st)->Bind(7, v.created_ms).Bind(8, v.activated_ms).Bind(9, v.retired_ms);
    return (*st)->Run();
  });
}

Status SqliteEmbedVersionStore::SetState(const std::string& name, EmbedVersionState state,
                                         int64_t at_ms) {
  return db_->writer().Run([&](Tx& tx) -> Status {
    StatusOr<Statement*> st = tx.Prepare(
        "UPDATE embed_versions SET state = ?, "
        "retired_at = CASE WHEN ? = 'retired' THEN ? ELSE retired_at END "
        "WHERE name = ? AND state <> 'active'");
    if (!st.ok()) return st.status();
    const std::string_view s = store::EmbedVersionStateName(state);
    (*st)->Bind(1, s).Bind(2, s).Bind(3, at_ms).Bind(4, name);
    SG_RETURN_IF_ERROR((*st)->Run());
    if (tx.conn().Changes() == 1) return Status::Ok();
    StatusOr<Statement*> q = tx.Prepare("SELECT state FROM embed_versions WHERE name = ?");
    if (!q.ok()) return q.status();
    (*q)->Bind(1, name);
    StatusOr<bool> found = (*q)->One([](const Statement&) {});
    if (!found.ok()) return found.status();
    if (!*found) return NotFound("no embed_version named '" + name + "'");
    return FailedPrecondition("embed_version '" + name +
                              "' is active; activate another version first");
  });
}

StatusOr<std::string> SqliteEmbedVersionStore::Activate(const std::string& name, int64_t at_ms) {
  std::string previous;
  SG_RETURN_IF_ERROR(db_->writer().Run([&](Tx& tx) -> Status {
    previous.clear();
    StatusOr<Statement*> q = tx.Prepare("SELECT state FROM embed_versions WHERE name = ?");
    if (!q.ok()) return q.status();
    (*q)->Bind(1, name);
    std::string state;
    StatusOr<bool> found = (*q)->One([&](const Statement& s) { state = s.Text(0); });
    if (!found.ok()) return found.status();
    if (!*found) return NotFound("no embed_version named '" + name + "'");
    if (state == "active") return Status::Ok();
    if (state == "retired") {
      return FailedPrecondition("embed_version '" + name + "' is retired (its vectors are gone)");
    }
    StatusOr<Statement*> cur = tx.Prepare("SELECT name FROM embed_versions WHERE state = 'active'");
    if (!cur.ok()) return cur.status();
    StatusOr<bool> had = (*cur)->One([&](const Statement& s) { previous = s.Text(0); });
    if (!had.ok()) return had.status();
    SG_RETURN_IF_ERROR(UpdateState(tx, "standby", "inactive"));
    SG_RETURN_IF_ERROR(UpdateState(tx, "active", "standby"));
    StatusOr<Statement*> st =
        tx.Prepare("UPDATE embed_versions SET state = 'active', activated_at = ? WHERE name = ?");
    if (!st.ok()) return st.status();
    (*st)->Bind(1, at_ms).Bind(2, name);
    return (*st)->Run();
  }));
  return previous;
}

}  // namespace scriptgen::sqlite
