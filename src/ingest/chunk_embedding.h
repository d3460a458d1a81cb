// EmbedChunks: the one way chunks become vectors, used by the ingest pipeline's embed step and by
// reindex jobs. It applies the embedding cache (R-Q7): a chunk whose text was embedded before
// under the same embed_version reuses that vector instead of calling the provider, and identical
// texts among the chunks are embedded once.
//
//   EmbedStats stats;
//   StatusOr<std::vector<float>> v = EmbedChunks(store, embedder, chunks, {}, &stats);
//   // v: chunks.size() rows of embedder.dimension() floats, in chunk order
//
// Texts go to the embedder in slices of `slice` texts; between slices `between_slices` is called
// with how many chunks are done (progress, cancellation): a non-OK status from it stops the work
// and is returned.
#pragma once

#include <cstddef>
#include <functional>
#include <span>
#include <vector>

#include "embed/embedder.h"
#include "store/document_store.h"
#include "util/status.h"

namespace scriptgen::obs {
struct ServiceMetrics;
}

namespace scriptgen::ingest {

struct EmbedStats {
  size_t cache_hits = 0;      // chunks whose vector came from the store
  size_t duplicate_hits = 0;  // chunks whose text appeared earlier in the same call
  size_t embedded = 0;        // texts sent to the embedder
};

struct EmbedChunksOptions {
  size_t slice = 64;
  std::function<Status(size_t done)> between_slices;
  obs::ServiceMetrics* metrics = nullptr;  // embedding_cache_lookups_total; may be null
};

StatusOr<std::vector<float>> EmbedChunks(store::DocumentStore& store, Embedder& embedder,
                                         std::span<const store::Chunk> chunks,
                                         const EmbedChunksOptions& options,
                                         EmbedStats* stats = nullptr);

}  // namespace scriptgen::ingest
