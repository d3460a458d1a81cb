// The fixed hash behind feature hashing: FNV-1a 64 over the feature's bytes, then the MurmurHash3
// fmix64 finaliser (FNV's low bits are weak, and the bucket is taken modulo the dimension).
//
// Both are fully specified integer arithmetic, so a feature hashes to the same value on every
// platform and build, unlike std::hash. Changing this function changes every vector: it is part
// of the embedder version.
#pragma once

#include <cstdint>
#include <string_view>

namespace scriptgen::embed {

constexpr uint64_t Fnv1a64(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV offset basis
  for (char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;  // FNV prime
  }
  return h;
}

constexpr uint64_t Fmix64(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return k;
}

constexpr uint64_t FeatureHash(std::string_view feature) {
  return Fmix64(Fnv1a64(feature));
}

}  // namespace scriptgen::embed
