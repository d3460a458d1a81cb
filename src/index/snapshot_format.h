// The fixed framing of a vector index snapshot (format version 2):
//
//   offset  size  field
//        0     8  magic "SGVECIDX"
//        8     4  format version (2)
//       12     4  vector dimension
//       16     8  last_change_seq: the store change the snapshot is current to
//       24     8  body size in bytes
//       32     8  live vector count
//       40     8  body kind: 1 = HNSW graph, 2 = flat vectors
//       48     8  FNV-1a 64 of bytes 0..47 (so a damaged header is reported as such)
//       56     *  body (host byte order), by kind:
//                   graph: the HNSW graph in hnswlib 0.6.2 saveIndex layout
//                   flat:  live_count records of (u64 label, dimension x f32)
//  56+body     8  FNV-1a 64 of every preceding byte
//
// Header and trailer integers are little-endian. A snapshot is a cache of derived state for the
// same machine architecture, not an interchange format; whatever fails to validate is rebuilt
// from the store. Version 1 (no body kind, graph only) is refused like any unknown version: the
// caller rebuilds once from the store.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "util/status.h"

namespace scriptgen::snapshot {

inline constexpr size_t kHeaderSize = 56;
inline constexpr size_t kTrailerSize = 8;
inline constexpr uint32_t kFormatVersion = 2;

enum class BodyKind : uint64_t { kGraph = 1, kFlat = 2 };

struct Header {
  uint32_t format_version = kFormatVersion;
  uint32_t dimension = 0;
  uint64_t last_change_seq = 0;
  uint64_t body_bytes = 0;
  uint64_t live_count = 0;
  BodyKind body_kind = BodyKind::kGraph;
};

std::array<unsigned char, kHeaderSize> EncodeHeader(const Header& header);
// Internal if the magic or header checksum is wrong or the body kind is unknown;
// FailedPrecondition for an unknown version.
StatusOr<Header> DecodeHeader(const std::array<unsigned char, kHeaderSize>& bytes);

std::array<unsigned char, kTrailerSize> EncodeTrailer(uint64_t checksum);
uint64_t DecodeTrailer(const std::array<unsigned char, kTrailerSize>& bytes);

}  // namespace scriptgen::snapshot
