// Internal to the SQLite document store: how chunk and vector rows are read, shared by its two
// source files (documents and chunks; vector queries).
#pragma once

#include <span>
#include <string_view>

#include "backends/sqlite/connection.h"
#include "store/document_store.h"

namespace scriptgen::sqlite::internal {

inline constexpr const char* kChunkColumns =
    "id, document_id, seq, text, page, heading, text_sha256";

inline store::Chunk ReadChunk(const Statement& s) {
  store::Chunk c;
  c.id = s.Int(0);
  c.document_id = s.Int(1);
  c.seq = static_cast<int>(s.Int(2));
  c.text = s.Text(3);
  c.page = static_cast<int>(s.Int(4));
  c.heading = s.Text(5);
  c.text_sha256 = std::string(s.Blob(6));
  return c;
}

// Vectors are stored as their floats' bytes (host byte order).
inline std::span<const float> AsFloats(std::string_view blob) {
  return {reinterpret_cast<const float*>(blob.data()), blob.size() / sizeof(float)};
}

}  // namespace scriptgen::sqlite::internal
