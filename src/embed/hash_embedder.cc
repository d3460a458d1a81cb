// Feature hashing with per-family normalisation.
//
// Features are collected per family, sorted by hash and run-length counted instead of counted in
// a hash map: that fixes the order in which floating-point terms are added, so the output does not
// depend on a container's iteration order. All arithmetic is in double and rounded to float once
// at the end. Cost is O(L log L) per text of L features; memory O(L + dimension).
#include "embed/hash_embedder.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "embed/feature_hash.h"
#include "embed/tokenizer.h"
#include "text/utf8.h"

namespace scriptgen {
namespace {

constexpr size_t kMaxDimension = 65536;
constexpr size_t kMaxCharNgram = 8;
constexpr double kUnigramWeight = 1.0;
constexpr double kBigramWeight = 0.5;
constexpr double kCharNgramWeight = 1.0;
// Without corpus statistics (IDF) the most frequent English function words would dominate
// similarity between unrelated texts; their unigram and character features are damped instead.
constexpr double kStopwordWeight = 0.1;

bool IsStopword(std::string_view token) {
  static constexpr std::string_view kStopwords[] = {
      "a",     "about", "an",  "and",  "are",  "as",   "at",   "be",    "been",  "but",  "by",
      "can",   "could", "did", "do",   "does", "for",  "from", "had",   "has",   "have", "he",
      "i",     "if",    "in",  "into", "is",   "it",   "its",  "no",    "not",   "of",   "on",
      "or",    "she",   "so",  "than", "that", "the",  "then", "there", "these", "they", "this",
      "those", "to",    "was", "we",   "were", "will", "with", "would", "you"};
  static_assert(std::is_sorted(std::begin(kStopwords), std::end(kStopwords)));
  return std::binary_search(std::begin(kStopwords), std::end(kStopwords), token);
}

// A hashed feature and the weight of one occurrence (a function of the feature key only).
struct Feature {
  uint64_t hash;
  double weight;
  bool operator<(const Feature& o) const { return hash < o.hash; }
};

std::string MakeVersion(const HashEmbedderOptions& o) {
  std::string v = "hash-v1-" + std::to_string(o.dimension);
  if (o.char_ngram != 3) v += "-c" + std::to_string(o.char_ngram);
  if (!o.word_bigrams) v += "-nobigram";
  return v;
}

// Adds weight * normalise(family vector of `features`) to total. Sorts features.
void AddFamily(std::vector<Feature>* features, double weight, std::vector<double>* scratch,
               std::vector<double>* total) {
  if (features->empty()) return;
  std::sort(features->begin(), features->end());
  std::vector<double>& v = *scratch;
  std::fill(v.begin(), v.end(), 0.0);
  const size_t dim = v.size();
  for (size_t i = 0; i < features->size();) {
    size_t j = i + 1;
    while (j < features->size() && (*features)[j].hash == (*features)[i].hash) ++j;
    const uint64_t h = (*features)[i].hash;
    const double value = std::sqrt(static_cast<double>(j - i)) * (*features)[i].weight;
    v[h % dim] += (h >> 63) ? -value : value;
    i = j;
  }
  double norm2 = 0;
  for (double x : v) norm2 += x * x;
  if (norm2 == 0) return;  // every feature cancelled out in collisions
  const double scale = weight / std::sqrt(norm2);
  for (size_t k = 0; k < dim; ++k) (*total)[k] += v[k] * scale;
}

// Code-point n-grams of "<" + token + ">", keyed "c" + UTF-8.
void AddCharNgrams(const std::string& token, size_t n, double weight, std::vector<Feature>* out) {
  std::string padded = "<" + token + ">";
  std::vector<size_t> starts;  // byte offset of each code point, plus the end
  for (size_t i = 0; i < padded.size(); i += text::DecodeUtf8At(padded, i).length) {
    starts.push_back(i);
  }
  starts.push_back(padded.size());
  const size_t units = starts.size() - 1;
  const size_t grams = units <= n ? 1 : units - n + 1;
  std::string key;
  for (size_t g = 0; g < grams; ++g) {
    const size_t end = std::min(g + n, units);
    key.clear();  // not assign("c"): GCC 12 -O3 reports a false -Wrestrict for it
    key.push_back('c');
    key.append(padded, starts[g], starts[end] - starts[g]);
    out->push_back({embed::FeatureHash(key), weight});
  }
}

}  // namespace

Status HashEmbedder::Validate(const HashEmbedderOptions& o) {
  if (o.dimension == 0 || o.dimension > kMaxDimension) {
    return InvalidArgument("hash embedder dimension must be in [1, 65536], got " +
                           std::to_string(o.dimension));
  }
  if (o.char_ngram > kMaxCharNgram) {
    return InvalidArgument("hash embedder char_ngram must be at most 8, got " +
                           std::to_string(o.char_ngram));
  }
  return Status::Ok();
}

StatusOr<std::unique_ptr<HashEmbedder>> HashEmbedder::Create(const HashEmbedderOptions& options) {
  SG_RETURN_IF_ERROR(Validate(options));
  return std::make_unique<HashEmbedder>(options);
}

HashEmbedder::HashEmbedder(const HashEmbedderOptions& options)
    : options_(options), version_(MakeVersion(options)) {
  if (Status s = Validate(options); !s.ok()) throw std::invalid_argument(s.ToString());
}

Status HashEmbedder::EmbedOne(std::string_view text, std::span<float> out) const {
  const size_t dim = options_.dimension;
  if (out.size() != dim) {
    return InvalidArgument("EmbedOne: output has " + std::to_string(out.size()) +
                           " floats, dimension is " + std::to_string(dim));
  }
  const std::vector<std::string> tokens = embed::Tokenize(text);
  std::vector<double> total(dim, 0.0), scratch(dim, 0.0);
  std::vector<Feature> features;
  features.reserve(tokens.size() * 8);
  std::string key;

  for (const std::string& t : tokens) {
    key.clear();
    key.push_back('w');
    key.append(t);
    features.push_back({embed::FeatureHash(key), IsStopword(t) ? kStopwordWeight : 1.0});
  }
  AddFamily(&features, kUnigramWeight, &scratch, &total);

  features.clear();
  if (options_.word_bigrams) {
    for (size_t i = 1; i < tokens.size(); ++i) {
      key.clear();
      key.push_back('b');
      key.append(tokens[i - 1]).append(" ").append(tokens[i]);
      features.push_back({embed::FeatureHash(key), 1.0});
    }
    AddFamily(&features, kBigramWeight, &scratch, &total);
  }

  features.clear();
  if (options_.char_ngram > 0) {
    for (const std::string& t : tokens) {
      AddCharNgrams(t, options_.char_ngram, IsStopword(t) ? kStopwordWeight : 1.0, &features);
    }
    AddFamily(&features, kCharNgramWeight, &scratch, &total);
  }

  double norm2 = 0;
  for (double x : total) norm2 += x * x;
  const double scale = norm2 > 0 ? 1.0 / std::sqrt(norm2) : 0.0;
  for (size_t k = 0; k < dim; ++k) out[k] = static_cast<float>(total[k] * scale);
  return Status::Ok();
}

Status HashEmbedder::Embed(std::span<const std::string> texts, std::vector<float>* out) {
  if (out == nullptr) return InvalidArgument("Embed: out must not be null");
  const size_t dim = options_.dimension;
  out->assign(texts.size() * dim, 0.0f);
  for (size_t i = 0; i < texts.size(); ++i) {
    SG_RETURN_IF_ERROR(EmbedOne(texts[i], std::span<float>(out->data() + i * dim, dim)));
  }
  return Status::Ok();
}

}  // namespace scriptgen
