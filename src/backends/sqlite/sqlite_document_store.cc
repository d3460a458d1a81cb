// Reads use a pooled read-only connection (WAL snapshot), writes enlist in the caller's writer
// transaction. Foreign keys with ON DELETE CASCADE do the cascade: deleting the document row
// removes its text, chunks and vectors in the same statement, so no partial delete can be seen.
#include "backends/sqlite/sqlite_document_store.h"

#include <openssl/sha.h>

#include <boost/json.hpp>
#include <cstring>

#include "backends/sqlite/chunk_rows.h"

namespace scriptgen::sqlite {

using internal::AsFloats;
using internal::kChunkColumns;
using internal::ReadChunk;
using store::ChunkId;
using store::Document;
using store::DocumentId;

namespace {

constexpr const char* kDocColumns =
    "id, filename, mime, sha256, size, subject_id, idempotency_key, blob_path, job_id, "
    "chunk_count, embed_version, ready, created_at, updated_at, declared_mime, redactions, "
    "legal_hold";

// Sections and redaction counts are small JSON values in TEXT columns: they are read and written
// whole, never queried by their parts.
std::string SectionsToJson(const std::vector<store::TextSection>& sections) {
  boost::json::array a;
  for (const store::TextSection& s : sections) {
    a.push_back(boost::json::object{
        {"o", s.byte_offset}, {"p", s.page}, {"h", boost::json::string_view(s.heading)}});
  }
  return boost::json::serialize(a);
}

std::vector<store::TextSection> SectionsFromJson(const std::string& json) {
  std::vector<store::TextSection> out;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(json, ec);
  if (ec || !v.is_array()) return out;
  for (const boost::json::value& e : v.as_array()) {
    if (!e.is_object()) continue;
    const boost::json::object& o = e.as_object();
    store::TextSection s;
    if (const auto* x = o.if_contains("o"); x && x->is_number())
      s.byte_offset = x->to_number<uint64_t>();
    if (const auto* x = o.if_contains("p"); x && x->is_number()) s.page = x->to_number<int>();
    if (const auto* x = o.if_contains("h"); x && x->is_string()) s.heading = x->as_string().c_str();
    out.push_back(std::move(s));
  }
  return out;
}

std::string CountsToJson(const store::RedactionCounts& counts) {
  boost::json::object o;
  for (const auto& [kind, n] : counts) o[kind] = n;
  return boost::json::serialize(o);
}

store::RedactionCounts CountsFromJson(const std::string& json) {
  store::RedactionCounts out;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(json, ec);
  if (ec || !v.is_object()) return out;
  for (const auto& [kind, n] : v.as_object()) {
    if (n.is_int64()) out[std::string(kind)] = n.as_int64();
  }
  return out;
}

std::string DocSql(std::string_view before, std::string_view after) {
  return std::string(before) + kDocColumns + std::string(after);
}

Document ReadDoc(const Statement& st) {
  Document d;
  d.id = st.Int(0);
  d.filename = st.Text(1);
  d.mime = st.Text(2);
  d.sha256 = st.Text(3);
  d.size = static_cast<uint64_t>(st.Int(4));
  d.subject_id = st.Text(5);
  d.idempotency_key = st.Text(6);
  d.blob_path = st.Text(7);
  d.job_id = st.Int(8);
  d.chunk_count = static_cast<int>(st.Int(9));
  d.embed_version = st.Text(10);
  d.ready = st.Int(11) != 0;
  d.created_ms = st.Int(12);
  d.updated_ms = st.Int(13);
  d.declared_mime = st.Text(14);
  d.redactions = CountsFromJson(st.Text(15));
  d.legal_hold = st.Int(16) != 0;
  return d;
}

Status NoSuchDocument(DocumentId id) {
  return NotFound("document " + std::to_string(id) + " does not exist");
}

// Fails with NotFound unless the last statement changed a row: the document was deleted while a
// pipeline step was working on it.
Status RequireChanged(Tx& tx, DocumentId id) {
  return tx.conn().Changes() > 0 ? Status::Ok() : NoSuchDocument(id);
}

StatusOr<Document> LoadDoc(Connection& conn, DocumentId id) {
  StatusOr<Statement*> st = conn.Prepare(DocSql("SELECT ", " FROM documents WHERE id = ?"));
  if (!st.ok()) return st.status();
  (*st)->Bind(1, id);
  Document doc;
  StatusOr<bool> found = (*st)->One([&](const Statement& s) { doc = ReadDoc(s); });
  if (!found.ok()) return found.status();
  if (!*found) return NoSuchDocument(id);
  return doc;
}

}  // namespace

StatusOr<SqliteDocumentStore::CreateResult> SqliteDocumentStore::Create(
    const store::NewDocument& doc,
    const std::function<StatusOr<int64_t>(store::WriteTx&, store::DocumentId)>& enqueue_job) {
  CreateResult result;
  Status s = db_->writer().Run([&](Tx& tx) -> Status {
    if (!doc.idempotency_key.empty()) {
      StatusOr<Statement*> q =
          tx.Prepare(DocSql("SELECT ", " FROM documents WHERE idempotency_key = ?"));
      if (!q.ok()) return q.status();
      (*q)->Bind(1, doc.idempotency_key);
      std::optional<Document> existing;
      StatusOr<bool> found = (*q)->One([&](const Statement& st) { existing = ReadDoc(st); });
      if (!found.ok()) return found.status();
      if (existing) {
        if (existing->sha256 != doc.sha256) {
          return AlreadyExists("idempotency key '" + doc.idempotency_key +
                               "' was already used for a different body");
        }
        result = {*existing, false};
        return Status::Ok();
      }
    }
    const int64_t now = clock_->NowMs();
    StatusOr<Statement*> ins = tx.Prepare(
        "INSERT INTO documents(filename, mime, sha256, size, subject_id, idempotency_key, "
        "blob_path, created_at, updated_at, declared_mime) VALUES (?,?,?,?,?,?,?,?,?,?)");
    if (!ins.ok()) return ins.status();
    Statement& st = **ins;
    st.Bind(1, doc.filename).Bind(2, doc.mime).Bind(3, doc.sha256);
    st.Bind(4, static_cast<int64_t>(doc.size)).BindTextOrNull(5, doc.subject_id);
    st.BindTextOrNull(6, doc.idempotency_key).Bind(7, doc.blob_path).Bind(8, now).Bind(9, now);
    st.Bind(10, doc.declared_mime);
    SG_RETURN_IF_ERROR(st.Run());
    const DocumentId id = tx.conn().LastInsertId();
    StatusOr<int64_t> job = enqueue_job(tx, id);
    if (!job.ok()) return job.status();
    StatusOr<Statement*> upd = tx.Prepare("UPDATE documents SET job_id = ? WHERE id = ?");
    if (!upd.ok()) return upd.status();
    (*upd)->Bind(1, *job).Bind(2, id);
    SG_RETURN_IF_ERROR((*upd)->Run());
    StatusOr<Document> created = LoadDoc(tx.conn(), id);
    if (!created.ok()) return created.status();
    result = {*created, true};
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return result;
}

StatusOr<Document> SqliteDocumentStore::Get(DocumentId id) {
  StatusOr<ReaderPool::Lease> conn = db_->readers().Acquire();
  if (!conn.ok()) return conn.status();
  return LoadDoc(**conn, id);
}

Status SqliteDocumentStore::CheckExists(store::WriteTx& wtx, DocumentId id) {
  Tx& tx = Tx::From(wtx);
  StatusOr<Statement*> st = tx.Prepare("SELECT 1 FROM documents WHERE id = ?");
  if (!st.ok()) return st.status();
  (*st)->Bind(1, id);
  StatusOr<bool> found = (*st)->One([](const Statement&) {});
  if (!found.ok()) return found.status();
  return *found ? Status::Ok() : NoSuchDocument(id);
}

StatusOr<Document> SqliteDocumentStore::FindByJob(int64_t job_id) {
  StatusOr<ReaderPool::Lease> conn = db_->readers().Acquire();
  if (!conn.ok()) return conn.status();
  StatusOr<Statement*> st =
      (*conn)->Prepare(DocSql("SELECT ", " FROM documents WHERE job_id = ? LIMIT 1"));
  if (!st.ok()) return st.status();
  (*st)->Bind(1, job_id);
  Document doc;
  StatusOr<bool> found = (*st)->One([&](const Statement& s) { doc = ReadDoc(s); });
  if (!found.ok()) return found.status();
  if (!*found) return NotFound("no document for job " + std::to_string(job_id));
  return doc;
}

StatusOr<std::vector<Document>> SqliteDocumentStore::List(
    DocumentId after_id, size_t limit, const std::optional<std::string>& subject_id) {
  StatusOr<ReaderPool::Lease> conn = db_->readers().Acquire();
  if (!conn.ok()) return conn.status();
  StatusOr<Statement*> st =
      (*conn)->Prepare(DocSql("SELECT ",
                              " FROM documents WHERE id > ?1 AND (?2 IS NULL OR subject_id = ?2) "
                              "ORDER BY id LIMIT ?3"));
  if (!st.ok()) return st.status();
  (*st)->Bind(1, after_id);
  subject_id ? (*st)->Bind(2, *subject_id) : (*st)->BindNull(2);
  (*st)->Bind(3, static_cast<int64_t>(limit));
  std::vector<Document> out;
  SG_RETURN_IF_ERROR((*st)->Each([&](const Statement& s) { out.push_back(ReadDoc(s)); }));
  return out;
}

Status SqliteDocumentStore::PutText(store::WriteTx& wtx, DocumentId id,
                                    const store::DocumentText& text,
                                    const store::RedactionCounts* redactions) {
  Tx& tx = Tx::From(wtx);
  StatusOr<Statement*> st = tx.Prepare(
      "INSERT INTO document_texts(document_id, text, sections) SELECT id, ?2, ?3 FROM documents "
      "WHERE id = ?1 ON CONFLICT(document_id) DO UPDATE SET text = excluded.text, "
      "sections = excluded.sections");
  if (!st.ok()) return st.status();
  (*st)->Bind(1, id).Bind(2, text.text).Bind(3, SectionsToJson(text.sections));
  SG_RETURN_IF_ERROR((*st)->Run());
  SG_RETURN_IF_ERROR(RequireChanged(tx, id));
  if (redactions == nullptr) return Status::Ok();
  StatusOr<Statement*> upd =
      tx.Prepare("UPDATE documents SET redactions = ?, updated_at = ? WHERE id = ?");
  if (!upd.ok()) return upd.status();
  (*upd)->Bind(1, CountsToJson(*redactions)).Bind(2, clock_->NowMs()).Bind(3, id);
  SG_RETURN_IF_ERROR((*upd)->Run());
  return RequireChanged(tx, id);
}

StatusOr<store::DocumentText> SqliteDocumentStore::GetText(DocumentId id) {
  StatusOr<ReaderPool::Lease> conn = db_->readers().Acquire();
  if (!conn.ok()) return conn.status();
  StatusOr<Statement*> st =
      (*conn)->Prepare("SELECT text, sections FROM document_texts WHERE document_id = ?");
  if (!st.ok()) return st.status();
  (*st)->Bind(1, id);
  store::DocumentText text;
  StatusOr<bool> found = (*st)->One([&](const Statement& s) {
    text.text = s.Text(0);
    text.sections = SectionsFromJson(s.Text(1));
  });
  if (!found.ok()) return found.status();
  if (!*found) return NotFound("document " + std::to_string(id) + " has no extracted text");
  return text;
}

Status SqliteDocumentStore::ReplaceChunks(store::WriteTx& wtx, DocumentId id,
                                          const std::vector<store::NewChunk>& chunks) {
  Tx& tx = Tx::From(wtx);
  StatusOr<Statement*> touch =
      tx.Prepare("UPDATE documents SET chunk_count = ?, updated_at = ? WHERE id = ?");
  if (!touch.ok()) return touch.status();
  (*touch)->Bind(1, static_cast<int64_t>(chunks.size())).Bind(2, clock_->NowMs()).Bind(3, id);
  SG_RETURN_IF_ERROR((*touch)->Run());
  SG_RETURN_IF_ERROR(RequireChanged(tx, id));
  StatusOr<Statement*> del = tx.Prepare("DELETE FROM chunks WHERE document_id = ?");
  if (!del.ok()) return del.status();
  (*del)->Bind(1, id);
  SG_RETURN_IF_ERROR((*del)->Run());
  StatusOr<Statement*> ins = tx.Prepare(
      "INSERT INTO chunks(document_id, seq, text, byte_offset, byte_length, page, heading, "
      "text_sha256) VALUES (?,?,?,?,?,?,?,?)");
  if (!ins.ok()) return ins.status();
  for (size_t i = 0; i < chunks.size(); ++i) {
    (*ins)->Reset();
    (*ins)->Bind(1, id).Bind(2, static_cast<int64_t>(i)).Bind(3, chunks[i].text);
    (*ins)->Bind(4, static_cast<int64_t>(chunks[i].byte_offset));
    (*ins)->Bind(5, static_cast<int64_t>(chunks[i].byte_length));
    (*ins)->Bind(6, static_cast<int64_t>(chunks[i].page)).Bind(7, chunks[i].heading);
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(chunks[i].text.data()), chunks[i].text.size(),
           digest);
    (*ins)->BindBlob(8, digest, sizeof(digest));
    SG_RETURN_IF_ERROR((*ins)->Run());
  }
  return Status::Ok();
}

StatusOr<std::vector<store::Chunk>> SqliteDocumentStore::ListChunks(DocumentId id) {
  StatusOr<ReaderPool::Lease> conn = db_->readers().Acquire();
  if (!conn.ok()) return conn.status();
  StatusOr<Statement*> st = (*conn)->Prepare(std::string("SELECT ") + kChunkColumns +
                                             " FROM chunks WHERE document_id = ? ORDER BY seq");
  if (!st.ok()) return st.status();
  (*st)->Bind(1, id);
  std::vector<store::Chunk> out;
  SG_RETURN_IF_ERROR((*st)->Each([&](const Statement& s) { out.push_back(ReadChunk(s)); }));
  return out;
}

StatusOr<std::vector<store::Chunk>> SqliteDocumentStore::GetChunks(
    const std::vector<ChunkId>& ids) {
  StatusOr<ReaderPool::Lease> conn = db_->readers().Acquire();
  if (!conn.ok()) return conn.status();
  StatusOr<Statement*> st =
      (*conn)->Prepare(std::string("SELECT ") + kChunkColumns + " FROM chunks WHERE id = ?");
  if (!st.ok()) return st.status();
  std::vector<store::Chunk> out;
  for (ChunkId id : ids) {
    (*st)->Bind(1, id);
    StatusOr<bool> found = (*st)->One([&](const Statement& s) { out.push_back(ReadChunk(s)); });
    if (!found.ok()) return found.status();
  }
  return out;  // chunks deleted meanwhile are simply absent
}

Status SqliteDocumentStore::PutVectors(store::WriteTx& wtx, const std::string& embed_version,
                                       size_t dimension, const std::vector<ChunkId>& chunk_ids,
                                       const std::vector<float>& vectors) {
  if (vectors.size() != chunk_ids.size() * dimension) {
    return InvalidArgument("vector data does not match chunk count x dimension");
  }
  Tx& tx = Tx::From(wtx);
  StatusOr<Statement*> st = tx.Prepare(
      "INSERT OR REPLACE INTO vectors(chunk_id, embed_version, dimension, data) VALUES (?,?,?,?)");
  if (!st.ok()) return st.status();
  for (size_t i = 0; i < chunk_ids.size(); ++i) {
    (*st)->Reset();
    (*st)->Bind(1, chunk_ids[i]).Bind(2, embed_version).Bind(3, static_cast<int64_t>(dimension));
    (*st)->BindBlob(4, vectors.data() + i * dimension, dimension * sizeof(float));
    SG_RETURN_IF_ERROR((*st)->Run());  // FK: fails if the chunk (document) was deleted
  }
  return Status::Ok();
}

Status SqliteDocumentStore::MarkReady(store::WriteTx& wtx, DocumentId id,
                                      const std::string& embed_version) {
  Tx& tx = Tx::From(wtx);
  StatusOr<Statement*> st =
      tx.Prepare("UPDATE documents SET ready = 1, embed_version = ?, updated_at = ? WHERE id = ?");
  if (!st.ok()) return st.status();
  (*st)->Bind(1, embed_version).Bind(2, clock_->NowMs()).Bind(3, id);
  SG_RETURN_IF_ERROR((*st)->Run());
  return RequireChanged(tx, id);
}

Status SqliteDocumentStore::ForEachVector(
    const std::string& embed_version,
    const std::function<void(ChunkId, DocumentId, const std::string&, std::span<const float>)>&
        fn) {
  StatusOr<ReaderPool::Lease> conn = db_->readers().Acquire();
  if (!conn.ok()) return conn.status();
  StatusOr<Statement*> st = (*conn)->Prepare(
      "SELECT v.chunk_id, c.document_id, coalesce(d.subject_id, ''), v.data FROM vectors v "
      "JOIN chunks c ON c.id = v.chunk_id JOIN documents d ON d.id = c.document_id "
      "WHERE v.embed_version = ? ORDER BY v.chunk_id");
  if (!st.ok()) return st.status();
  (*st)->Bind(1, embed_version);
  return (*st)->Each(
      [&](const Statement& s) { fn(s.Int(0), s.Int(1), s.Text(2), AsFloats(s.Blob(3))); });
}

StatusOr<std::vector<std::pair<ChunkId, std::vector<float>>>> SqliteDocumentStore::DocumentVectors(
    DocumentId id, const std::string& embed_version) {
  StatusOr<ReaderPool::Lease> conn = db_->readers().Acquire();
  if (!conn.ok()) return conn.status();
  StatusOr<Statement*> st = (*conn)->Prepare(
      "SELECT v.chunk_id, v.data FROM vectors v JOIN chunks c ON c.id = v.chunk_id "
      "WHERE c.document_id = ? AND v.embed_version = ? ORDER BY v.chunk_id");
  if (!st.ok()) return st.status();
  (*st)->Bind(1, id).Bind(2, embed_version);
  std::vector<std::pair<ChunkId, std::vector<float>>> out;
  SG_RETURN_IF_ERROR((*st)->Each([&](const Statement& s) {
    std::span<const float> v = AsFloats(s.Blob(1));
    out.emplace_back(s.Int(0), std::vector<float>(v.begin(), v.end()));
  }));
  return out;
}

StatusOr<store::DeletedDocument> SqliteDocumentStore::Delete(store::WriteTx& wtx, DocumentId id) {
  Tx& tx = Tx::From(wtx);
  StatusOr<Document> doc = LoadDoc(tx.conn(), id);
  if (!doc.ok()) return doc.status();
  store::DeletedDocument deleted{*doc, {}};
  StatusOr<Statement*> ids = tx.Prepare("SELECT id FROM chunks WHERE document_id = ?");
  if (!ids.ok()) return ids.status();
  (*ids)->Bind(1, id);
  SG_RETURN_IF_ERROR(
      (*ids)->Each([&](const Statement& s) { deleted.chunk_ids.push_back(s.Int(0)); }));
  StatusOr<Statement*> versions = tx.Prepare(
      "SELECT v.embed_version, count(*) FROM vectors v JOIN chunks c ON c.id = v.chunk_id "
      "WHERE c.document_id = ? GROUP BY v.embed_version");
  if (!versions.ok()) return versions.status();
  (*versions)->Bind(1, id);
  SG_RETURN_IF_ERROR((*versions)->Each(
      [&](const Statement& s) { deleted.vectors_by_version[s.Text(0)] = s.Int(1); }));
  StatusOr<Statement*> del = tx.Prepare("DELETE FROM documents WHERE id = ?");
  if (!del.ok()) return del.status();
  (*del)->Bind(1, id);
  SG_RETURN_IF_ERROR((*del)->Run());
  return deleted;
}

StatusOr<std::vector<DocumentId>> SqliteDocumentStore::DocumentsOfSubject(
    const std::string& subject_id) {
  StatusOr<ReaderPool::Lease> conn = db_->readers().Acquire();
  if (!conn.ok()) return conn.status();
  StatusOr<Statement*> st =
      (*conn)->Prepare("SELECT id FROM documents WHERE coalesce(subject_id, '') = ? ORDER BY id");
  if (!st.ok()) return st.status();
  (*st)->Bind(1, subject_id);
  std::vector<DocumentId> out;
  SG_RETURN_IF_ERROR((*st)->Each([&](const Statement& s) { out.push_back(s.Int(0)); }));
  return out;
}

StatusOr<store::SubjectFootprint> SqliteDocumentStore::FootprintOfSubject(
    const std::string& subject_id) {
  StatusOr<ReaderPool::Lease> conn = db_->readers().Acquire();
  if (!conn.ok()) return conn.status();
  // One snapshot (one statement) for all four counts.
  StatusOr<Statement*> st = (*conn)->Prepare(
      "WITH d AS (SELECT id FROM documents WHERE coalesce(subject_id, '') = ?1) "
      "SELECT (SELECT count(*) FROM d), "
      "(SELECT count(*) FROM chunks WHERE document_id IN d), "
      "(SELECT count(*) FROM vectors v JOIN chunks c ON c.id = v.chunk_id "
      " WHERE c.document_id IN d), "
      "(SELECT count(*) FROM document_texts WHERE document_id IN d)");
  if (!st.ok()) return st.status();
  (*st)->Bind(1, subject_id);
  store::SubjectFootprint f;
  StatusOr<bool> row = (*st)->One([&](const Statement& s) {
    f = {s.Int(0), s.Int(1), s.Int(2), s.Int(3)};
  });
  if (!row.ok()) return row.status();
  return f;
}

Status SqliteDocumentStore::SetLegalHold(DocumentId id, bool hold) {
  return db_->writer().Run([&](Tx& tx) -> Status {
    StatusOr<Statement*> st =
        tx.Prepare("UPDATE documents SET legal_hold = ?, updated_at = ? WHERE id = ?");
    if (!st.ok()) return st.status();
    (*st)->Bind(1, static_cast<int64_t>(hold ? 1 : 0)).Bind(2, clock_->NowMs()).Bind(3, id);
    SG_RETURN_IF_ERROR((*st)->Run());
    return RequireChanged(tx, id);
  });
}

StatusOr<std::vector<DocumentId>> SqliteDocumentStore::ExpiredDocuments(int64_t created_before_ms,
                                                                        size_t limit) {
  StatusOr<ReaderPool::Lease> conn = db_->readers().Acquire();
  if (!conn.ok()) return conn.status();
  StatusOr<Statement*> st = (*conn)->Prepare(
      "SELECT id FROM documents WHERE created_at < ? AND legal_hold = 0 "
      "ORDER BY created_at, id LIMIT ?");
  if (!st.ok()) return st.status();
  (*st)->Bind(1, created_before_ms).Bind(2, static_cast<int64_t>(limit));
  std::vector<DocumentId> out;
  SG_RETURN_IF_ERROR((*st)->Each([&](const Statement& s) { out.push_back(s.Int(0)); }));
  return out;
}

StatusOr<store::ContentRetentionStats> SqliteDocumentStore::RetentionStats(int64_t cutoff_ms) {
  StatusOr<ReaderPool::Lease> conn = db_->readers().Acquire();
  if (!conn.ok()) return conn.status();
  StatusOr<Statement*> st = (*conn)->Prepare(
      "SELECT count(*), coalesce(min(created_at), 0), "
      "coalesce(sum(created_at < ?1 AND legal_hold = 0), 0), coalesce(sum(legal_hold), 0) "
      "FROM documents");
  if (!st.ok()) return st.status();
  (*st)->Bind(1, cutoff_ms);
  store::ContentRetentionStats out;
  StatusOr<bool> row = (*st)->One([&](const Statement& s) {
    out = {s.Int(0), s.Int(1), s.Int(2), s.Int(3)};
  });
  if (!row.ok()) return row.status();
  return out;
}

Status SqliteDocumentStore::ForEachBlobPath(const std::function<void(const std::string&)>& fn) {
  StatusOr<ReaderPool::Lease> conn = db_->readers().Acquire();
  if (!conn.ok()) return conn.status();
  StatusOr<Statement*> st = (*conn)->Prepare("SELECT blob_path FROM documents");
  if (!st.ok()) return st.status();
  return (*st)->Each([&](const Statement& s) { fn(s.Text(0)); });
}

}  // namespace scriptgen::sqlite
