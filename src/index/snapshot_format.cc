// Explicit byte-by-byte little-endian encoding so the framing does not depend on struct layout
// or host byte order; only the body (hnswlib's memory image) is host-order.
#include "index/snapshot_format.h"

#include <cstring>
#include <string>

#include "index/snapshot_file.h"

namespace scriptgen::snapshot {
namespace {

constexpr char kMagic[8] = {'S', 'G', 'V', 'E', 'C', 'I', 'D', 'X'};

template <typename T>
void Put(unsigned char* p, T v) {
  for (size_t i = 0; i < sizeof(T); ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}

template <typename T>
T Get(const unsigned char* p) {
  T v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) v |= static_cast<T>(p[i]) << (8 * i);
  return v;
}

uint64_t HeaderChecksum(const unsigned char* bytes) {
  Checksum c;
  c.Update(bytes, 48);
  return c.value();
}

}  // namespace

std::array<unsigned char, kHeaderSize> EncodeHeader(const Header& h) {
  std::array<unsigned char, kHeaderSize> b{};
  std::memcpy(b.data(), kMagic, sizeof(kMagic));
  Put<uint32_t>(&b[8], h.format_version);
  Put<uint32_t>(&b[12], h.dimension);
  Put<uint64_t>(&b[16], h.last_change_seq);
  Put<uint64_t>(&b[24], h.body_bytes);
  Put<uint64_t>(&b[32], h.live_count);
  Put<uint64_t>(&b[40], static_cast<uint64_t>(h.body_kind));
  Put<uint64_t>(&b[48], HeaderChecksum(b.data()));
  return b;
}

StatusOr<Header> DecodeHeader(const std::array<unsigned char, kHeaderSize>& b) {
  if (std::memcmp(b.data(), kMagic, sizeof(kMagic)) != 0) {
    return Internal("not a vector index snapshot (bad magic)");
  }
  if (Get<uint64_t>(&b[48]) != HeaderChecksum(b.data())) {
    return Internal("vector index snapshot header is corrupt (checksum mismatch)");
  }
  Header h;
  h.format_version = Get<uint32_t>(&b[8]);
  h.dimension = Get<uint32_t>(&b[12]);
  h.last_change_seq = Get<uint64_t>(&b[16]);
  h.body_bytes = Get<uint64_t>(&b[24]);
  h.live_count = Get<uint64_t>(&b[32]);
  if (h.format_version != kFormatVersion) {
    return FailedPrecondition("unsupported vector index snapshot format version " +
                              std::to_string(h.format_version));
  }
  const uint64_t kind = Get<uint64_t>(&b[40]);
  if (kind != static_cast<uint64_t>(BodyKind::kGraph) &&
      kind != static_cast<uint64_t>(BodyKind::kFlat)) {
    return Internal("vector index snapshot has unknown body kind " + std::to_string(kind));
  }
  h.body_kind = static_cast<BodyKind>(kind);
  return h;
}

std::array<unsigned char, kTrailerSize> EncodeTrailer(uint64_t checksum) {
  std::array<unsigned char, kTrailerSize> b{};
  Put<uint64_t>(b.data(), checksum);
  return b;
}

uint64_t DecodeTrailer(const std::array<unsigned char, kTrailerSize>& b) {
  return Get<uint64_t>(b.data());
}

}  // namespace scriptgen::snapshot
