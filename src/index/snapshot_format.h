// The fixed framing of a vector index snapshot (format version 1):
//
//   offset  size  field
//        0     8  magic "SGVECIDX"
//        8     4  format version (1)
//       12     4  vector dimension
//       16     8  last_change_seq: the store change the snapshot is current to
//       24     8  body size in bytes
//       32     8  live vector count
//       40     8  FNV-1a 64 of bytes 0..39 (so a damaged header is reported as such)
//       48     *  body: the HNSW graph in hnswlib 0.6.2 saveIndex layout (host byte order)
//  48+body     8  FNV-1a 64 of every preceding byte
//
// Header and trailer integers are little-endian. A snapshot is a cache of derived state for the
// same machine architecture, not an interchange format; whatever fails to validate is rebuilt
// from the store.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "util/status.h"

namespace scriptgen::snapshot {

inline constexpr size_t kHeaderSize = 48;
inline constexpr size_t kTrailerSize = 8;
inline constexpr uint32_t kFormatVersion = 1;

struct Header {
  uint32_t format_version = kFormatVersion;
  uint32_t dimension = 0;
  uint64_t last_change_seq = 0;
  uint64_t body_bytes = 0;
  uint64_t live_count = 0;
};

std::array<unsigned char, kHeaderSize> EncodeHeader(const Header& header);
// Internal if the magic or header checksum is wrong; FailedPrecondition for an unknown version.
StatusOr<Header> DecodeHeader(const std::array<unsigned char, kHeaderSize>& bytes);

std::array<unsigned char, kTrailerSize> EncodeTrailer(uint64_t checksum);
uint64_t DecodeTrailer(const std::array<unsigned char, kTrailerSize>& bytes);

}  // namespace scriptgen::snapshot
