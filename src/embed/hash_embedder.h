// HashEmbedder: a deterministic, dependency-free Embedder based on feature hashing.
//
// It needs no model file and no network, so the whole pipeline works on a fresh machine and in
// tests; quality is lexical (shared words and word pieces), not semantic. Features of a text
// (see tokenizer.h for tokens):
//   - word unigrams:  "w" + token
//   - word bigrams:   "b" + token1 + " " + token2         (unless word_bigrams is false)
//   - char n-grams:   "c" + n consecutive code points of "<" + token + ">" (the whole padded
//                     token if shorter), n = char_ngram   (unless char_ngram is 0)
// Each feature key is hashed with embed::FeatureHash (FNV-1a 64 + fmix64; feature_hash.h):
// bucket = h % dimension, sign = +1 if the top bit of h is 0 else -1. A feature seen tf times
// adds sign * sqrt(tf) * w (sublinear TF; sqrt rather than 1 + log because IEEE 754 rounds sqrt
// exactly, so vectors are bit-identical on every platform), where w is 0.1 for the unigram and
// char n-grams of a fixed list of ~50 English function words (no IDF is available to damp them)
// and 1 otherwise. Each family's vector is L2-normalised, the families are summed with fixed
// weights (unigrams 1, bigrams 0.5, char n-grams 1; n-grams let Korean words match across
// particles and endings: "학교에서" ~ "학교는"), and the sum is L2-normalised. A text without
// tokens embeds to the zero vector.
//
// version() is "hash-v1-<dimension>" for the default features, with "-c<n>" appended when
// char_ngram != 3 and "-nobigram" when bigrams are off. Thread-safe: Embed only reads immutable
// state.
//
//   auto embedder = HashEmbedder::Create({.dimension = 384});
//   if (!embedder.ok()) return embedder.status();
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "embed/embedder.h"
#include "util/status.h"

namespace scriptgen {

struct HashEmbedderOptions {
  size_t dimension = 384;  // 1..65536
  size_t char_ngram = 3;   // 0 disables character n-grams; at most 8
  bool word_bigrams = true;
};

class HashEmbedder final : public Embedder {
 public:
  static Status Validate(const HashEmbedderOptions& options);
  static StatusOr<std::unique_ptr<HashEmbedder>> Create(const HashEmbedderOptions& options);

  // Invalid options are a programming error here: throws std::invalid_argument (use Create to
  // get a Status instead).
  explicit HashEmbedder(const HashEmbedderOptions& options = {});

  const std::string& version() const override { return version_; }
  size_t dimension() const override { return options_.dimension; }
  std::string_view provider() const override { return "hash"; }
  Status Embed(std::span<const std::string> texts, std::vector<float>* out) override;

  // Embeds one text (e.g. a search query) into out, which must have exactly dimension() floats.
  Status EmbedOne(std::string_view text, std::span<float> out) const;

 private:
  HashEmbedderOptions options_;
  std::string version_;
};

}  // namespace scriptgen
