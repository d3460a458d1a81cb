#include "backends/sqlite/schema.h"

#include <array>
#include <string>

#include "backends/sqlite/sqlite_audit_store.h"

namespace scriptgen::sqlite {
namespace {

// Each migration has an up step and a down step that undoes it (data the up step added is lost on
// the way down: `scriptgen migrate down` exists to roll a binary back, see docs/ROLLBACK_PLAN.md).
struct Migration {
  const char* description;
  const char* up;
  const char* down;
};

constexpr std::array<Migration, 6> kMigrations = {{
    // 1: durable job queue, its error history, step marks. Job states are stored as the integers
    // of jobs::JobState (0 queued .. 5 cancelled).
    {"durable job queue, error history, step marks",
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
     R"sql(
DROP TABLE step_marks;
DROP TABLE job_errors;
DROP TABLE jobs;
)sql"},
    // 2: documents and what the ingest pipeline derives from them. Deleting a document row
    // cascades to its text, chunks and their vectors.
    {"documents, texts, chunks, vectors",
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
     R"sql(
DROP TABLE vectors;
DROP TABLE chunks;
DROP TABLE document_texts;
DROP TABLE documents;
)sql"},
    // 3: real document formats. The declared type is kept beside the sniffed one; text carries
    // its sections (JSON [{"o":offset,"p":page,"h":heading}]) so chunks can cite page and
    // heading; redactions holds the scrubbers' per-kind counts (JSON object), never values.
    // Jobs keep the trace and correlation ids of the request that created them.
    {"document formats: sections, pages, headings, redaction counts, trace ids",
     R"sql(
ALTER TABLE jobs ADD COLUMN trace_id TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN correlation_id TEXT NOT NULL DEFAULT '';
ALTER TABLE documents ADD COLUMN declared_mime TEXT NOT NULL DEFAULT '';
ALTER TABLE documents ADD COLUMN redactions TEXT NOT NULL DEFAULT '{}';
ALTER TABLE document_texts ADD COLUMN sections TEXT NOT NULL DEFAULT '[]';
ALTER TABLE chunks ADD COLUMN page INTEGER NOT NULL DEFAULT 0;
ALTER TABLE chunks ADD COLUMN heading TEXT NOT NULL DEFAULT '';
)sql",
     R"sql(
ALTER TABLE chunks DROP COLUMN heading;
ALTER TABLE chunks DROP COLUMN page;
ALTER TABLE document_texts DROP COLUMN sections;
ALTER TABLE documents DROP COLUMN redactions;
ALTER TABLE documents DROP COLUMN declared_mime;
ALTER TABLE jobs DROP COLUMN correlation_id;
ALTER TABLE jobs DROP COLUMN trace_id;
)sql"},
    // 4: API tokens (keyed hashes only, see auth/access_control.h).
    {"API tokens",
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
     R"sql(
DROP INDEX documents_by_job;
DROP TABLE api_tokens;
)sql"},
    // 5: data governance. Erase requests (the raw subject id only while pending), the legal
    // hold that exempts a document from retention, and what the audit log needs.
    {"data governance: erase requests, legal hold, audit log",
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
     R"sql(
DROP TABLE IF EXISTS audit_checkpoints;
DROP TABLE IF EXISTS audit_log;
DROP INDEX documents_by_created;
ALTER TABLE documents DROP COLUMN legal_hold;
DROP TABLE erase_requests;
)sql"},
    // 6: embed_version registry (R-G1) and the embedding cache key: each chunk's text hash, so a
    // chunk whose text already has a vector of a version reuses it instead of calling the
    // provider. The cache is the vectors table itself, so it never holds a vector that no live
    // chunk references (an erase leaves nothing behind). Chunks stored before this migration have
    // no hash and are simply not cache sources.
    {"embed_version registry, chunk text hashes (embedding cache), ready-documents index",
     R"sql(
CREATE TABLE embed_versions (
  name TEXT PRIMARY KEY,
  provider TEXT NOT NULL,
  model TEXT NOT NULL DEFAULT '',
  dimension INTEGER NOT NULL,
  params TEXT NOT NULL DEFAULT '{}',
  state TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  activated_at INTEGER NOT NULL DEFAULT 0,
  retired_at INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
ALTER TABLE chunks ADD COLUMN text_sha256 BLOB;
CREATE INDEX chunks_by_text_sha256 ON chunks(text_sha256) WHERE text_sha256 IS NOT NULL;
-- Scale-out: API nodes follow the documents that worker processes made ready.
CREATE INDEX documents_ready_by_updated ON documents(updated_at) WHERE ready = 1;
)sql",
     R"sql(
DROP INDEX documents_ready_by_updated;
DROP INDEX chunks_by_text_sha256;
ALTER TABLE chunks DROP COLUMN text_sha256;
DROP TABLE embed_versions;
)sql"},
}};

}  // namespace

int LatestSchemaVersion() {
  return static_cast<int>(kMigrations.size());
}

std::string MigrationDescription(int version) {
  if (version < 1 || version > LatestSchemaVersion()) return "";
  return kMigrations[version - 1].description;
}

namespace {

StatusOr<int> ReadUserVersion(Tx& tx) {
  StatusOr<Statement*> q = tx.Prepare("PRAGMA user_version");
  if (!q.ok()) return q.status();
  StatusOr<bool> row = (*q)->Step();
  if (!row.ok()) return row.status();
  const int current = static_cast<int>((*q)->Int(0));
  (*q)->Reset();
  return current;
}

// The audit tables' DDL is kept beside their store (sqlite_audit_store.h); version 5 adds them.
Status RunUp(Tx& tx, int version) {
  SG_RETURN_IF_ERROR(tx.conn().Exec(kMigrations[version - 1].up));
  if (version == 5) SG_RETURN_IF_ERROR(tx.conn().Exec(kAuditSchemaSql));
  return Status::Ok();
}

}  // namespace

StatusOr<int> SchemaVersion(Writer& writer) {
  int version = 0;
  SG_RETURN_IF_ERROR(writer.Run([&](Tx& tx) -> Status {
    StatusOr<int> v = ReadUserVersion(tx);
    if (!v.ok()) return v.status();
    version = *v;
    return Status::Ok();
  }));
  return version;
}

Status Migrate(Writer& writer) {
  return MigrateTo(writer, LatestSchemaVersion(), /*allow_down=*/false);
}

Status MigrateTo(Writer& writer, int target, bool allow_down) {
  if (target < 0 || target > LatestSchemaVersion()) {
    return InvalidArgument("schema version " + std::to_string(target) + " does not exist (0.." +
                           std::to_string(LatestSchemaVersion()) + ")");
  }
  return writer.Run([&](Tx& tx) -> Status {
    StatusOr<int> current = ReadUserVersion(tx);
    if (!current.ok()) return current.status();
    if (*current > LatestSchemaVersion()) {
      return FailedPrecondition(
          "database schema version " + std::to_string(*current) +
          " is newer than this binary understands (" + std::to_string(LatestSchemaVersion()) +
          "); upgrade scriptgen, or run `scriptgen migrate down --to " +
          std::to_string(LatestSchemaVersion()) + "` with the newer binary first");
    }
    if (target < *current && !allow_down) {
      return FailedPrecondition("refusing to migrate down from " + std::to_string(*current) +
                                " to " + std::to_string(target) + " without allow_down");
    }
    for (int v = *current + 1; v <= target; ++v) SG_RETURN_IF_ERROR(RunUp(tx, v));
    for (int v = *current; v > target; --v) {
      SG_RETURN_IF_ERROR(tx.conn().Exec(kMigrations[v - 1].down));
    }
    return tx.conn().Exec("PRAGMA user_version = " + std::to_string(target));
  });
}

}  // namespace scriptgen::sqlite
