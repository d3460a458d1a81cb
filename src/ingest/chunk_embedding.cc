// Order of work: one indexed cache lookup per distinct text hash, then the misses, de-duplicated,
// go to the embedder in slices. The cache lookup is worth it even for a provider-less hashing
// embedder only because it is cheap; for a paid provider it is the point (boilerplate repeated
// across documents: headers, disclaimers, signatures).
//
// Chunks stored before schema version 6 have no text hash; they are embedded, never looked up.
#include "ingest/chunk_embedding.h"

#include <algorithm>
#include <string>
#include <unordered_map>

#include "obs/service_metrics.h"

namespace scriptgen::ingest {

StatusOr<std::vector<float>> EmbedChunks(store::DocumentStore& store, Embedder& embedder,
                                         std::span<const store::Chunk> chunks,
                                         const EmbedChunksOptions& options, EmbedStats* stats) {
  const size_t dim = embedder.dimension();
  const std::string version = embedder.version();
  std::vector<float> out(chunks.size() * dim, 0.0f);
  EmbedStats local;

  // 1. The cache: a vector of this version for the same text, on any live chunk.
  std::vector<std::string> hashes;
  hashes.reserve(chunks.size());
  for (const store::Chunk& c : chunks) hashes.push_back(c.text_sha256);
  StatusOr<std::vector<std::optional<std::vector<float>>>> cached =
      store.CachedVectors(version, dim, hashes);
  if (!cached.ok()) return cached.status();

  // 2. What remains, each distinct text once. `source` maps a chunk to the index of the text that
  // will give it its vector.
  std::vector<std::string> texts;
  std::vector<size_t> text_owner;  // texts[i] is the text of chunks[text_owner[i]]
  std::vector<std::optional<size_t>> source(chunks.size());
  std::unordered_map<std::string_view, size_t> seen;  // text -> index in texts
  for (size_t i = 0; i < chunks.size(); ++i) {
    if ((*cached)[i]) {
      std::copy((*cached)[i]->begin(), (*cached)[i]->end(), out.begin() + i * dim);
      ++local.cache_hits;
      continue;
    }
    auto [it, inserted] = seen.try_emplace(chunks[i].text, texts.size());
    if (inserted) {
      texts.push_back(chunks[i].text);
      text_owner.push_back(i);
    } else {
      ++local.duplicate_hits;
    }
    source[i] = it->second;
  }

  // 3. The embedder, slice by slice.
  const size_t slice = std::max<size_t>(options.slice, 1);
  std::vector<float> vectors(texts.size() * dim);
  std::vector<float> part;
  for (size_t i = 0; i < texts.size(); i += slice) {
    const size_t n = std::min(slice, texts.size() - i);
    SG_RETURN_IF_ERROR(embedder.Embed(std::span(texts).subspan(i, n), &part));
    if (part.size() != n * dim) {
      return Internal("the embedder returned " + std::to_string(part.size()) + " floats for " +
                      std::to_string(n) + " texts of dimension " + std::to_string(dim));
    }
    std::copy(part.begin(), part.end(), vectors.begin() + i * dim);
    local.embedded += n;
    if (options.between_slices) {
      // Progress in chunks: every chunk up to the last one this slice's texts came from.
      SG_RETURN_IF_ERROR(options.between_slices(text_owner[i + n - 1] + 1));
    }
  }
  for (size_t i = 0; i < chunks.size(); ++i) {
    if (!source[i]) continue;
    std::copy_n(vectors.begin() + *source[i] * dim, dim, out.begin() + i * dim);
  }

  if (options.metrics != nullptr) {
    options.metrics->embedding_cache_lookups_total.WithLabels({"hit"}).Inc(local.cache_hits);
    options.metrics->embedding_cache_lookups_total.WithLabels({"miss"}).Inc(chunks.size() -
                                                                            local.cache_hits);
  }
  if (stats != nullptr) {
    stats->cache_hits += local.cache_hits;
    stats->duplicate_hits += local.duplicate_hits;
    stats->embedded += local.embedded;
  }
  return out;
}

}  // namespace scriptgen::ingest
