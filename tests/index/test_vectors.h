// Test helpers: reproducible random unit vectors and brute-force ground truth.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <span>
#include <vector>

namespace scriptgen::testing_util {

// n row-major unit vectors of the given dimension, Gaussian directions from a fixed seed.
inline std::vector<float> RandomUnitVectors(size_t n, size_t dim, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> gauss(0.0f, 1.0f);
  std::vector<float> v(n * dim);
  for (size_t i = 0; i < n; ++i) {
    double norm = 0;
    for (size_t d = 0; d < dim; ++d) {
      v[i * dim + d] = gauss(rng);
      norm += double{v[i * dim + d]} * v[i * dim + d];
    }
    const float inv = static_cast<float>(1.0 / std::sqrt(norm));
    for (size_t d = 0; d < dim; ++d) v[i * dim + d] *= inv;
  }
  return v;
}

inline std::span<const float> Row(const std::vector<float>& v, size_t dim, size_t i) {
  return {v.data() + i * dim, dim};
}

// Labels of the k rows with the largest inner product with q (double precision), skipping rows
// for which skip(i) is true.
template <typename Skip>
std::vector<uint64_t> BruteForceTopK(const std::vector<float>& rows, size_t dim,
                                     std::span<const float> q, size_t k, Skip skip) {
  std::vector<std::pair<double, uint64_t>> scored;
  for (size_t i = 0; i < rows.size() / dim; ++i) {
    if (skip(i)) continue;
    double s = 0;
    for (size_t d = 0; d < dim; ++d) s += double{rows[i * dim + d]} * q[d];
    scored.emplace_back(s, i);
  }
  k = std::min(k, scored.size());
  std::partial_sort(scored.begin(), scored.begin() + k, scored.end(),
                    [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<uint64_t> labels;
  for (size_t i = 0; i < k; ++i) labels.push_back(scored[i].second);
  return labels;
}

}  // namespace scriptgen::testing_util
