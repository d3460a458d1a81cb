// The flags name the provider, model, URL and dimension (CLI11 applies their SCRIPTGEN_EMBED_*
// variables); everything else (key, CA, rate limits, batching, timeouts) comes from the
// environment through embed::EmbedderSpecFromEnv. One rate limiter is shared by every embedder
// of the process, so the active and a building version split one provider budget; with
// EmbedConfig::rate_buckets set (a Redis queue) that budget is also shared with the other
// processes of the deployment.
#include "app/embedders.h"

#include <boost/json.hpp>
#include <cstdlib>
#include <cstring>

#include "embed/embedder_factory.h"
#include "embed/embedding_rate_limiter.h"

namespace scriptgen::app {
namespace {

// The variables the flags already own: a flag given on the command line wins over them.
bool OwnedByFlags(const char* name) {
  for (const char* owned : {"SCRIPTGEN_EMBED_PROVIDER", "SCRIPTGEN_EMBED_URL",
                            "SCRIPTGEN_EMBED_MODEL", "SCRIPTGEN_EMBED_DIM"}) {
    if (std::strcmp(name, owned) == 0) return true;
  }
  return false;
}

std::string UrlParam(const std::string& params_json) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(params_json, ec);
  if (ec || !v.is_object()) return "";
  const boost::json::value* url = v.as_object().if_contains("url");
  return url != nullptr && url->is_string() ? std::string(url->as_string().c_str()) : "";
}

}  // namespace

StatusOr<versioning::EmbedVersionSpec> ConfiguredSpec(const EmbedConfig& config) {
  if (config.provider != "hash" && config.provider != "openai") {
    return InvalidArgument("embedding provider must be hash or openai, not '" + config.provider +
                           "'");
  }
  versioning::EmbedVersionSpec spec{.provider = config.provider,
                                    .model = config.provider == "hash" ? "" : config.model,
                                    .dimension = static_cast<int64_t>(config.dimension)};
  if (config.provider == "openai") {
    if (config.model.empty())
      return InvalidArgument("SCRIPTGEN_EMBED_MODEL is required for openai");
    if (config.url.empty()) return InvalidArgument("SCRIPTGEN_EMBED_URL is required for openai");
    spec.params_json = boost::json::serialize(boost::json::object{{"url", config.url}});
  }
  return spec;
}

StatusOr<EmbedderFactory> MakeEmbedderFactory(const EmbedConfig& config,
                                              obs::ServiceMetrics* metrics) {
  embed::EmbedderSpec defaults;
  defaults.provider = config.provider;
  defaults.model = config.model;
  defaults.dim = config.dimension;
  defaults.url = config.url;
  // Ingest is asynchronous and a remote provider takes hundreds of milliseconds per call anyway,
  // so holding a document's chunks up to 500 ms for other jobs' company costs little and saves
  // most calls when documents arrive one by one (SCRIPTGEN_EMBED_MAX_WAIT_MS overrides). Search
  // queries do not wait: they bypass the batcher (Embedder::EmbedQuery).
  defaults.max_wait = std::chrono::milliseconds(500);
  defaults.flush_when_callers = config.embedding_threads;
  StatusOr<embed::EmbedderSpec> base =
      embed::EmbedderSpecFromEnv(defaults, [](const char* name) -> std::optional<std::string> {
        if (OwnedByFlags(name)) return std::nullopt;
        const char* v = std::getenv(name);
        if (v == nullptr || *v == '\0') return std::nullopt;
        return std::string(v);
      });
  if (!base.ok()) return base.status();
  auto limiter = std::make_shared<embed::EmbeddingRateLimiter>(
      embed::EmbeddingRateLimiterOptions{.requests_per_minute = static_cast<double>(base->rpm),
                                         .tokens_per_minute = static_cast<double>(base->tpm),
                                         .store = config.rate_buckets});
  return EmbedderFactory([base = *base, limiter, metrics](
                             const store::EmbedVersion& v) -> StatusOr<std::shared_ptr<Embedder>> {
    embed::EmbedderSpec spec = base;
    spec.provider = v.provider;
    spec.model = v.model;
    spec.dim = static_cast<size_t>(v.dimension);
    if (const std::string url = UrlParam(v.params_json); !url.empty()) spec.url = url;
    spec.rate_limiter = limiter;
    return embed::MakeEmbedder(spec, metrics);
  });
}

}  // namespace scriptgen::app
