// Design: the chain is extended inside the writer transaction that inserts the row. The writer is
// the only thread (and, across processes, BEGIN IMMEDIATE the only transaction) that writes, so
// "read head, hash, insert seq = head + 1" cannot interleave with another append: no lock or retry
// is needed, and the PRIMARY KEY on seq turns any bug that did interleave into a failed append
// instead of a forked chain. Appending in a caller's transaction means an op that rolls back to
// its savepoint takes its audit entry with it, and the next op reads the restored head.
//
// Reads that must agree with each other (checkpoint + entries for a verifier) run in one explicit
// read transaction on a pooled reader: WAL gives that transaction a snapshot, so a concurrent
// truncation cannot make a sound chain look broken.
//
// Trade-off: the head is found with "ORDER BY seq DESC LIMIT 1" on every append, one B-tree
// descent on the rowid; cheaper than caching it, which would have to be invalidated on rollback.
#include "backends/sqlite/sqlite_audit_store.h"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace scriptgen::sqlite {
namespace {

constexpr const char* kEntryColumns = "seq, at, actor, action, target, details, prev_hash, hash";
constexpr const char* kCheckpointColumns =
    "seq, head_hash, entry_at, created_at, public_key, signature";

store::AuditEntry ReadEntry(const Statement& s) {
  return {s.Int(0), s.Int(1), s.Text(2), s.Text(3), s.Text(4), s.Text(5), s.Text(6), s.Text(7)};
}

store::AuditCheckpoint ReadCheckpoint(const Statement& s) {
  return {s.Int(0), s.Text(1), s.Int(2), s.Int(3), s.Text(4), s.Text(5)};
}

StatusOr<std::optional<store::AuditEntry>> HeadOn(Connection& conn) {
  StatusOr<Statement*> st = conn.Prepare(std::string("SELECT ") + kEntryColumns +
                                         " FROM audit_log ORDER BY seq DESC LIMIT 1");
  if (!st.ok()) return st.status();
  std::optional<store::AuditEntry> out;
  StatusOr<bool> found = (*st)->One([&](const Statement& s) { out = ReadEntry(s); });
  if (!found.ok()) return found.status();
  return out;
}

StatusOr<std::optional<store::AuditCheckpoint>> LatestCheckpointOn(Connection& conn) {
  StatusOr<Statement*> st = conn.Prepare(std::string("SELECT ") + kCheckpointColumns +
                                         " FROM audit_checkpoints ORDER BY seq DESC LIMIT 1");
  if (!st.ok()) return st.status();
  std::optional<store::AuditCheckpoint> out;
  StatusOr<bool> found = (*st)->One([&](const Statement& s) { out = ReadCheckpoint(s); });
  if (!found.ok()) return found.status();
  return out;
}

// Steps by hand rather than with Statement::Each so the caller can stop early (a verifier stops
// at the first broken link of a long log).
Status ForEachOn(Connection& conn, int64_t from_seq,
                 const std::function<bool(const store::AuditEntry&)>& fn) {
  StatusOr<Statement*> st = conn.Prepare(std::string("SELECT ") + kEntryColumns +
                                         " FROM audit_log WHERE seq >= ? ORDER BY seq");
  if (!st.ok()) return st.status();
  (*st)->Bind(1, from_seq);
  for (;;) {
    StatusOr<bool> row = (*st)->Step();
    if (!row.ok() || !*row) {
      (*st)->Reset();
      return row.status();
    }
    if (!fn(ReadEntry(**st))) {
      (*st)->Reset();
      return Status::Ok();
    }
  }
}

// Runs fn inside one read transaction (one WAL snapshot) of a pooled reader.
Status InSnapshot(ReaderPool& readers, const std::function<Status(Connection&)>& fn) {
  StatusOr<ReaderPool::Lease> conn = readers.Acquire();
  if (!conn.ok()) return conn.status();
  SG_RETURN_IF_ERROR((*conn)->Exec("BEGIN"));
  Status s = fn(**conn);
  Status end = (*conn)->Exec("COMMIT");
  if (!end.ok()) (void)(*conn)->Exec("ROLLBACK");
  return s.ok() ? end : s;
}

// details must be a JSON object (routes embed it as one); empty means none.
StatusOr<std::string> NormaliseDetails(const std::string& details) {
  if (details.empty()) return std::string("{}");
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(details, ec);
  if (ec || !v.is_object()) return InvalidArgument("audit details must be a JSON object");
  return details;
}

}  // namespace

StatusOr<store::AuditEntry> SqliteAuditStore::Append(store::WriteTx& wtx,
                                                     const store::NewAuditEntry& in) {
  if (in.action.empty()) return InvalidArgument("an audit entry needs an action");
  StatusOr<std::string> details = NormaliseDetails(in.details_json);
  if (!details.ok()) return details.status();
  Connection& conn = Tx::From(wtx).conn();

  store::AuditEntry e{.at_ms = in.at_ms != 0 ? in.at_ms : clock_->NowMs(),
                      .actor = in.actor,
                      .action = in.action,
                      .target = in.target,
                      .details_json = std::move(*details)};
  StatusOr<std::optional<store::AuditEntry>> head = HeadOn(conn);
  if (!head.ok()) return head.status();
  if (head->has_value()) {
    e.seq = (*head)->seq + 1;
    e.prev_hash_hex = (*head)->hash_hex;
  } else {
    // Empty log: either never used (genesis) or truncated to nothing (continue the checkpoint).
    StatusOr<std::optional<store::AuditCheckpoint>> cp = LatestCheckpointOn(conn);
    if (!cp.ok()) return cp.status();
    e.seq = cp->has_value() ? (*cp)->seq + 1 : 1;
    e.prev_hash_hex = cp->has_value() ? (*cp)->head_hash_hex : store::kAuditGenesisHash;
  }
  e.hash_hex = hasher_(e);
  if (e.hash_hex.size() != 64) return Internal("audit chain hasher returned no hash");

  StatusOr<Statement*> st = conn.Prepare(std::string("INSERT INTO audit_log(") + kEntryColumns +
                                         ") VALUES (?,?,?,?,?,?,?,?)");
  if (!st.ok()) return st.status();
  (*st)->Bind(1, e.seq).Bind(2, e.at_ms).Bind(3, e.actor).Bind(4, e.action);
  (*st)->Bind(5, e.target).Bind(6, e.details_json).Bind(7, e.prev_hash_hex).Bind(8, e.hash_hex);
  SG_RETURN_IF_ERROR((*st)->Run());
  return e;
}

StatusOr<store::AuditEntry> SqliteAuditStore::Append(const store::NewAuditEntry& entry) {
  std::optional<StatusOr<store::AuditEntry>> out;
  Status s = db_->writer().Run([&](Tx& tx) -> Status {
    out.emplace(Append(tx, entry));
    return out->status();
  });
  if (!s.ok()) return s;  // also a failed commit after a successful Append
  return std::move(**out);
}

Status SqliteAuditStore::ForEach(int64_t from_seq,
                                 const std::function<bool(const store::AuditEntry&)>& fn) {
  return InSnapshot(db_->readers(),
                    [&](Connection& conn) { return ForEachOn(conn, from_seq, fn); });
}

StatusOr<std::vector<store::AuditEntry>> SqliteAuditStore::List(int64_t from_seq, size_t limit) {
  std::vector<store::AuditEntry> out;
  if (limit == 0) return out;
  SG_RETURN_IF_ERROR(ForEach(from_seq, [&](const store::AuditEntry& e) {
    out.push_back(e);
    return out.size() < limit;
  }));
  return out;
}

StatusOr<std::optional<store::AuditEntry>> SqliteAuditStore::Head() {
  StatusOr<ReaderPool::Lease> conn = db_->readers().Acquire();
  if (!conn.ok()) return conn.status();
  return HeadOn(**conn);
}

Status SqliteAuditStore::ScanChain(
    const std::function<void(const std::optional<store::AuditCheckpoint>&)>& on_checkpoint,
    const std::function<bool(const store::AuditEntry&)>& on_entry) {
  return InSnapshot(db_->readers(), [&](Connection& conn) -> Status {
    StatusOr<std::optional<store::AuditCheckpoint>> cp = LatestCheckpointOn(conn);
    if (!cp.ok()) return cp.status();
    on_checkpoint(*cp);
    return ForEachOn(conn, cp->has_value() ? (*cp)->seq + 1 : 0, on_entry);
  });
}

Status SqliteAuditStore::TruncateThrough(const store::AuditCheckpoint& cp) {
  return db_->writer().Run([&](Tx& tx) -> Status {
    StatusOr<Statement*> get = tx.Prepare("SELECT hash FROM audit_log WHERE seq = ?");
    if (!get.ok()) return get.status();
    (*get)->Bind(1, cp.seq);
    std::string hash;
    StatusOr<bool> found = (*get)->One([&](const Statement& s) { hash = s.Text(0); });
    if (!found.ok()) return found.status();
    if (!*found) {
      return FailedPrecondition("audit entry " + std::to_string(cp.seq) +
                                " does not exist (already truncated?)");
    }
    if (hash != cp.head_hash_hex) {
      return FailedPrecondition("checkpoint head does not match audit entry " +
                                std::to_string(cp.seq));
    }
    StatusOr<Statement*> ins = tx.Prepare(std::string("INSERT INTO audit_checkpoints(") +
                                          kCheckpointColumns + ") VALUES (?,?,?,?,?,?)");
    if (!ins.ok()) return ins.status();
    (*ins)->Bind(1, cp.seq).Bind(2, cp.head_hash_hex).Bind(3, cp.entry_at_ms);
    (*ins)->Bind(4, cp.created_ms).Bind(5, cp.public_key_b64).Bind(6, cp.signature_b64);
    SG_RETURN_IF_ERROR((*ins)->Run());
    StatusOr<Statement*> del = tx.Prepare("DELETE FROM audit_log WHERE seq <= ?");
    if (!del.ok()) return del.status();
    (*del)->Bind(1, cp.seq);
    return (*del)->Run();
  });
}

StatusOr<std::optional<store::AuditCheckpoint>> SqliteAuditStore::LatestCheckpoint() {
  StatusOr<ReaderPool::Lease> conn = db_->readers().Acquire();
  if (!conn.ok()) return conn.status();
  return LatestCheckpointOn(**conn);
}

}  // namespace scriptgen::sqlite
