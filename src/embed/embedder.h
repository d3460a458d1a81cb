// Embedder: the port through which the pipeline and search turn texts into vectors.
//
// An implementation is identified by version(), which names the model and every parameter that
// changes vectors; the store records it with every vector (R-G1) and vectors of different
// versions are never mixed in one index. Two calls with the same version and text must return the
// same vector, so results stay comparable across restarts and re-runs.
//
//   std::vector<float> vecs;
//   SG_RETURN_IF_ERROR(embedder.Embed(texts, &vecs));
//   std::span<const float> first(vecs.data(), embedder.dimension());
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace scriptgen {

class Embedder {
 public:
  virtual ~Embedder() = default;
  // Name that identifies the model and every parameter that changes vectors, e.g. "hash-v1-384".
  virtual const std::string& version() const = 0;
  virtual size_t dimension() const = 0;
  // Short provider name for metrics and logs: "hash", "openai".
  virtual std::string_view provider() const = 0;
  // Embeds texts.size() texts into out (resized to texts.size()*dimension(), row-major). Vectors
  // are L2-normalised, except that a text with nothing to embed (empty, or only whitespace and
  // punctuation) yields the zero vector, which scores 0 against everything. Thread-safe.
  virtual Status Embed(std::span<const std::string> texts, std::vector<float>* out) = 0;
  // One latency-critical text (a search query): same vector as Embed, but an implementation that
  // trades latency for throughput (batching) answers it directly.
  virtual Status EmbedQuery(const std::string& text, std::vector<float>* out) {
    return Embed(std::span(&text, 1), out);
  }
};

}  // namespace scriptgen
