// Which embedding provider the process uses, and how a registered embed_version's embedder is
// built. The registry keeps only non-secret parameters (provider, model, dimension, base URL);
// API keys and TLS settings come from this process's configuration (flags and SCRIPTGEN_EMBED_*),
// so a key rotated in the environment applies to every version on the next start.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "embed/embedder.h"
#include "store/embed_version_store.h"
#include "util/status.h"
#include "versioning/embed_version_service.h"

namespace scriptgen::obs {
struct ServiceMetrics;
}
namespace scriptgen::embed {
class RateBucketStore;
}

namespace scriptgen::app {

struct EmbedConfig {
  std::string provider = "hash";  // SCRIPTGEN_EMBED_PROVIDER: hash | openai
  std::string model;              // SCRIPTGEN_EMBED_MODEL (openai)
  size_t dimension = 384;         // SCRIPTGEN_EMBED_DIM
  std::string url;                // SCRIPTGEN_EMBED_URL (openai), e.g. http://127.0.0.1:8000/v1
  size_t embedding_threads = 0;   // worker threads: when all wait on a batch, it is sent
  // Where the provider's rate-limit buckets and 429 pause live: null keeps them in this process;
  // a Redis queue's processes pass a RedisRateBucketStore so they share one provider budget.
  std::shared_ptr<embed::RateBucketStore> rate_buckets;
};

// The embed_version the configuration asks for (registered at start if new).
StatusOr<versioning::EmbedVersionSpec> ConfiguredSpec(const EmbedConfig& config);

using EmbedderFactory =
    std::function<StatusOr<std::shared_ptr<Embedder>>(const store::EmbedVersion&)>;
// Builds embedders for registered versions: provider, model, dimension and URL from the version,
// the rest (API key, CA file, rate limits, batching) from SCRIPTGEN_EMBED_* (see
// embed/embedder_factory.h). InvalidArgument for a bad variable. metrics may be null.
StatusOr<EmbedderFactory> MakeEmbedderFactory(const EmbedConfig& config,
                                              obs::ServiceMetrics* metrics);

}  // namespace scriptgen::app
