// The SQLite document store's queries over vectors by embed_version: the embedding cache lookup,
// a version's coverage (which live chunks still lack a vector of it) and retiring a version.
//
// The cache needs no table of its own: a chunk's text hash (chunks.text_sha256, indexed) joined
// with the vectors of the wanted version finds a vector computed earlier for the same text. Since
// vectors are deleted with their chunks, the cache can never return (or keep on disk) a vector
// whose content no live document holds any more, which erasure relies on. The price is one
// indexed lookup per distinct text, far cheaper than a provider call.
#include <cstring>

#include "backends/sqlite/chunk_rows.h"
#include "backends/sqlite/sqlite_document_store.h"

namespace scriptgen::sqlite {

using internal::AsFloats;
using internal::kChunkColumns;
using internal::ReadChunk;

StatusOr<std::vector<std::optional<std::vector<float>>>> SqliteDocumentStore::CachedVectors(
    const std::string& embed_version, size_t dimension,
    const std::vector<std::string>& text_sha256s) {
  StatusOr<ReaderPool::Lease> conn = db_->readers().Acquire();
  if (!conn.ok()) return conn.status();
  StatusOr<Statement*> st = (*conn)->Prepare(
      "SELECT v.data FROM chunks c JOIN vectors v ON v.chunk_id = c.id AND v.embed_version = ? "
      "WHERE c.text_sha256 = ? AND v.dimension = ? LIMIT 1");
  if (!st.ok()) return st.status();
  std::vector<std::optional<std::vector<float>>> out(text_sha256s.size());
  for (size_t i = 0; i < text_sha256s.size(); ++i) {
    if (text_sha256s[i].empty()) continue;
    (*st)->Reset();
    (*st)->Bind(1, embed_version);
    (*st)->BindBlob(2, text_sha256s[i].data(), text_sha256s[i].size());
    (*st)->Bind(3, static_cast<int64_t>(dimension));
    StatusOr<bool> found = (*st)->One([&](const Statement& s) {
      std::span<const float> v = AsFloats(s.Blob(0));
      if (v.size() == dimension) out[i] = std::vector<float>(v.begin(), v.end());
    });
    if (!found.ok()) return found.status();
  }
  return out;
}

StatusOr<std::vector<store::Chunk>> SqliteDocumentStore::ChunksWithoutVector(
    const std::string& embed_version, store::ChunkId after_id, size_t limit) {
  StatusOr<ReaderPool::Lease> conn = db_->readers().Acquire();
  if (!conn.ok()) return conn.status();
  StatusOr<Statement*> st =
      (*conn)->Prepare(std::string("SELECT ") + kChunkColumns +
                       " FROM chunks c WHERE c.id > ? AND NOT EXISTS (SELECT 1 FROM vectors v "
                       "WHERE v.chunk_id = c.id AND v.embed_version = ?) ORDER BY c.id LIMIT ?");
  if (!st.ok()) return st.status();
  (*st)->Bind(1, after_id).Bind(2, embed_version).Bind(3, static_cast<int64_t>(limit));
  std::vector<store::Chunk> out;
  SG_RETURN_IF_ERROR((*st)->Each([&](const Statement& s) { out.push_back(ReadChunk(s)); }));
  return out;
}

StatusOr<int64_t> SqliteDocumentStore::CountReadyChunksWithoutVector(
    const std::string& embed_version) {
  StatusOr<ReaderPool::Lease> conn = db_->readers().Acquire();
  if (!conn.ok()) return conn.status();
  StatusOr<Statement*> st = (*conn)->Prepare(
      "SELECT count(*) FROM chunks c JOIN documents d ON d.id = c.document_id AND d.ready = 1 "
      "WHERE NOT EXISTS (SELECT 1 FROM vectors v WHERE v.chunk_id = c.id AND "
      "v.embed_version = ?)");
  if (!st.ok()) return st.status();
  (*st)->Bind(1, embed_version);
  int64_t n = 0;
  StatusOr<bool> row = (*st)->One([&](const Statement& s) { n = s.Int(0); });
  if (!row.ok()) return row.status();
  return n;
}

StatusOr<int64_t> SqliteDocumentStore::CountVectors(const std::string& embed_version) {
  StatusOr<ReaderPool::Lease> conn = db_->readers().Acquire();
  if (!conn.ok()) return conn.status();
  StatusOr<Statement*> st =
      (*conn)->Prepare("SELECT count(*) FROM vectors WHERE embed_version = ?");
  if (!st.ok()) return st.status();
  (*st)->Bind(1, embed_version);
  int64_t n = 0;
  StatusOr<bool> row = (*st)->One([&](const Statement& s) { n = s.Int(0); });
  if (!row.ok()) return row.status();
  return n;
}

StatusOr<int64_t> SqliteDocumentStore::DeleteVectorsOfVersion(const std::string& embed_version,
                                                              size_t limit) {
  int64_t deleted = 0;
  SG_RETURN_IF_ERROR(db_->writer().Run([&](Tx& tx) -> Status {
    StatusOr<Statement*> st = tx.Prepare(
        "DELETE FROM vectors WHERE rowid IN (SELECT rowid FROM vectors WHERE embed_version = ? "
        "LIMIT ?)");
    if (!st.ok()) return st.status();
    (*st)->Bind(1, embed_version).Bind(2, static_cast<int64_t>(limit));
    SG_RETURN_IF_ERROR((*st)->Run());
    deleted = tx.conn().Changes();
    return Status::Ok();
  }));
  return deleted;
}

StatusOr<std::vector<std::pair<store::DocumentId, int64_t>>>
SqliteDocumentStore::ReadyDocumentsSince(int64_t since_ms, size_t limit) {
  StatusOr<ReaderPool::Lease> conn = db_->readers().Acquire();
  if (!conn.ok()) return conn.status();
  StatusOr<Statement*> st = (*conn)->Prepare(
      "SELECT id, updated_at FROM documents WHERE ready = 1 AND updated_at >= ? "
      "ORDER BY updated_at, id LIMIT ?");
  if (!st.ok()) return st.status();
  (*st)->Bind(1, since_ms).Bind(2, static_cast<int64_t>(limit));
  std::vector<std::pair<store::DocumentId, int64_t>> out;
  SG_RETURN_IF_ERROR(
      (*st)->Each([&](const Statement& s) { out.emplace_back(s.Int(0), s.Int(1)); }));
  return out;
}

}  // namespace scriptgen::sqlite
