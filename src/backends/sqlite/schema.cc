#include "backends/sqlite/schema.h"

#include <array>
#include <string>

#include "backends/sqlite/sqlite_audit_store.h"

namespace scriptgen::sqlite {
namespace {

// Job states are stored as the integers of jobs::JobState (0 queued .. 5 cancelled).
constexpr std::array<const char*, 5> kMigrations = {
    // 1: durable job queue, its error history, step marks.
    R"sql(
CREATE TABLE jobs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  type TEXT NOT NULL,
  payload TEXT NOT NULL DEFAULT '',
  idempotency_key TEXT,
  state INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL,
  run_at INTEGER NOT NULL,
  lease_until INTEGER NOT NULL DEFAULT 0,
  worker_id TEXT,
  cancel_requested INTEGER NOT NULL DEFAULT 0,
  progress_step TEXT,
  progress_percent INTEGER NOT NULL DEFAULT 0,
  progress_message TEXT,
  error_class INTEGER,
  error_message TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  finished_at INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX jobs_by_idempotency_key ON jobs(idempotency_key)
  WHERE idempotency_key IS NOT NULL;
CREATE INDEX jobs_ready ON jobs(id) WHERE state = 0;
CREATE INDEX jobs_scheduled ON jobs(run_at) WHERE state = 1;
CREATE INDEX jobs_leased ON jobs(lease_until) WHERE state = 2;
CREATE INDEX jobs_by_state ON jobs(state, id);
CREATE TABLE job_errors (
  job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  attempt INTEGER NOT NULL,
  error_class INTEGER NOT NULL,
  message TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE INDEX job_errors_by_job ON job_errors(job_id);
CREATE TABLE step_marks (
  job_key TEXT NOT NULL,
  step TEXT NOT NULL,
  done_at INTEGER NOT NULL,
  PRIMARY KEY (job_key, step)
) WITHOUT ROWID;
)sql",
    // 2: documents and what the ingest pipeline derives from them. Deleting a document row
    // cascades to its text, chunks and their vectors.
    R"sql(
CREATE TABLE documents (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  filename TEXT NOT NULL,
  mime TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  size INTEGER NOT NULL,
  subject_id TEXT,
  idempotency_key TEXT,
  blob_path TEXT NOT NULL,
  job_id INTEGER NOT NULL DEFAULT 0,
  chunk_count INTEGER NOT NULL DEFAULT 0,
  embed_version TEXT,
  ready INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX documents_by_idempotency_key ON documents(idempotency_key)
  WHERE idempotency_key IS NOT NULL;
CREATE INDEX documents_by_subject ON documents(subject_id, id) WHERE subject_id IS NOT NULL;
CREATE TABLE document_texts (
  document_id INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
  text TEXT NOT NULL
);
CREATE TABLE chunks (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  text TEXT NOT NULL,
  byte_offset INTEGER NOT NULL,
  byte_length INTEGER NOT NULL,
  UNIQUE (document_id, seq)
);
-- A rowid table: rows carry a kilobyte-sized BLOB, which WITHOUT ROWID tables store poorly.
CREATE TABLE vectors (
  chunk_id INTEGER NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,
  embed_version TEXT NOT NULL,
  dimension INTEGER NOT NULL,
  data BLOB NOT NULL,
  UNIQUE (chunk_id, embed_version)
);
CREATE INDEX vectors_by_version ON vectors(embed_version, chunk_id);
)sql",
    // 3: real document formats. The declared type is kept beside the sniffed one; text carries
    // its sections (JSON [{"o":offset,"p":page,"h":heading}]) so chunks can cite page and
    // heading; redactions holds the scrubbers' per-kind counts (JSON object), never values.
    // Jobs keep the trace and correlation ids of the request that created them.
    R"sql(
ALTER TABLE jobs ADD COLUMN trace_id TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN correlation_id TEXT NOT NULL DEFAULT '';
ALTER TABLE documents ADD COLUMN declared_mime TEXT NOT NULL DEFAULT '';
ALTER TABLE documents ADD COLUMN redactions TEXT NOT NULL DEFAULT '{}';
ALTER TABLE document_texts ADD COLUMN sections TEXT NOT NULL DEFAULT '[]';
ALTER TABLE chunks ADD COLUMN page INTEGER NOT NULL DEFAULT 0;
ALTER TABLE chunks ADD COLUMN heading TEXT NOT NULL DEFAULT '';
)sql",
    // 4: API tokens (keyed hashes only, see auth/access_control.h).
    R"sql(
CREATE TABLE api_tokens (
  id TEXT PRIMARY KEY,
  hash TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL,
  subject_id TEXT NOT NULL DEFAULT '',
  note TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL DEFAULT 0,
  revoked_at INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
-- Which document a job ingests: access checks on /v1/jobs for subject-bound tokens.
CREATE INDEX documents_by_job ON documents(job_id);
)sql",
    // 5: data governance. Erase requests (the raw subject id only while pending), the legal
    // hold that exempts a document from retention, and what the audit log needs.
    R"sql(
CREATE TABLE erase_requests (
  id TEXT PRIMARY KEY,
  subject_id TEXT,
  subject_hash TEXT NOT NULL,
  reason TEXT NOT NULL,
  actor TEXT NOT NULL,
  state TEXT NOT NULL,
  job_id INTEGER NOT NULL DEFAULT 0,
  requested_at INTEGER NOT NULL,
  completed_at INTEGER NOT NULL DEFAULT 0,
  certificate TEXT NOT NULL DEFAULT '',
  error TEXT NOT NULL DEFAULT '',
  deleted TEXT NOT NULL DEFAULT '{}',
  audit_from_seq INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
ALTER TABLE documents ADD COLUMN legal_hold INTEGER NOT NULL DEFAULT 0;
CREATE INDEX documents_by_created ON documents(created_at);
)sql",
};

}  // namespace

int LatestSchemaVersion() {
  return static_cast<int>(kMigrations.size());
}

Status Migrate(Writer& writer) {
  return writer.Run([](Tx& tx) -> Status {
    StatusOr<Statement*> q = tx.Prepare("PRAGMA user_version");
    if (!q.ok()) return q.status();
    StatusOr<bool> row = (*q)->Step();
    if (!row.ok()) return row.status();
    const int current = static_cast<int>((*q)->Int(0));
    (*q)->Reset();
    if (current > LatestSchemaVersion()) {
      return FailedPrecondition("database schema version " + std::to_string(current) +
                                " is newer than this binary understands (" +
                                std::to_string(LatestSchemaVersion()) + "); upgrade scriptgen");
    }
    for (int v = current; v < LatestSchemaVersion(); ++v) {
      SG_RETURN_IF_ERROR(tx.conn().Exec(kMigrations[v]));
      // The audit tables' DDL is kept beside their store (sqlite_audit_store.h); version 5 adds
      // them. audit_log is created first: tools looking for "the audit table" find it.
      if (v + 1 == 5) SG_RETURN_IF_ERROR(tx.conn().Exec(kAuditSchemaSql));
    }
    return tx.conn().Exec("PRAGMA user_version = " + std::to_string(LatestSchemaVersion()));
  });
}

}  // namespace scriptgen::sqlite
