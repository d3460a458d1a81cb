// Parsing is strict (a whole-string integer within range, or a message naming the variable)
// because a typo in SCRIPTGEN_EMBED_DIM silently producing another dimension would make a whole
// index incompatible. Range checks live in MakeEmbedder, so a spec assembled from flags gets the
// same checks as one read from the environment.
#include "embed/embedder_factory.h"

#include <charconv>
#include <cstdlib>
#include <fstream>

#include "embed/batching_embedder.h"
#include "embed/embedding_http_client.h"
#include "embed/hash_embedder.h"
#include "embed/openai_embedder.h"

namespace scriptgen::embed {
namespace {

std::optional<std::string> GetEnv(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

StatusOr<int64_t> ParseInt(const char* name, const std::string& text, int64_t min, int64_t max) {
  int64_t v = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || ptr != end || v < min || v > max) {
    return InvalidArgument(std::string(name) + " must be an integer from " + std::to_string(min) +
                           " to " + std::to_string(max) + ", got '" + text + "'");
  }
  return v;
}

StatusOr<std::string> ReadKeyFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFound("SCRIPTGEN_EMBED_API_KEY_FILE: cannot read " + path);
  std::string key;
  std::getline(in, key);
  while (!key.empty() && (key.back() == '\r' || key.back() == ' ' || key.back() == '\t')) {
    key.pop_back();
  }
  if (key.empty()) {
    return FailedPrecondition("SCRIPTGEN_EMBED_API_KEY_FILE: " + path + " holds no key");
  }
  return key;
}

}  // namespace

std::string EmbedderSpec::Describe() const {
  if (provider != "openai") return provider + " dim=" + std::to_string(dim);
  std::string where = "(invalid URL)";
  if (StatusOr<HttpEndpoint> ep = ParseBaseUrl(url); ep.ok()) where = ep->Origin();
  return "openai " + where + " model=" + model + " dim=" + std::to_string(dim) +
         " rpm=" + std::to_string(rpm) + " tpm=" + std::to_string(tpm) +
         " batch=" + std::to_string(max_batch) + (api_key.empty() ? " key=none" : " key=set");
}

StatusOr<EmbedderSpec> EmbedderSpecFromEnv(EmbedderSpec spec, const EnvLookup& env_lookup) {
  const EnvLookup env = env_lookup ? env_lookup : EnvLookup(GetEnv);
  if (auto v = env("SCRIPTGEN_EMBED_PROVIDER")) spec.provider = *v;
  if (auto v = env("SCRIPTGEN_EMBED_URL")) spec.url = *v;
  if (auto v = env("SCRIPTGEN_EMBED_MODEL")) spec.model = *v;
  if (auto v = env("SCRIPTGEN_EMBED_CA_FILE")) spec.ca_file = *v;

  struct IntVar {
    const char* name;
    int64_t min, max;
    std::function<void(int64_t)> set;
  };
  const IntVar ints[] = {
      {"SCRIPTGEN_EMBED_DIM", 1, 65536, [&](int64_t v) { spec.dim = static_cast<size_t>(v); }},
      {"SCRIPTGEN_EMBED_RPM", 0, 100'000'000, [&](int64_t v) { spec.rpm = static_cast<int>(v); }},
      {"SCRIPTGEN_EMBED_TPM", 0, 2'000'000'000, [&](int64_t v) { spec.tpm = static_cast<int>(v); }},
      {"SCRIPTGEN_EMBED_BATCH", 1, 2048, [&](int64_t v) { spec.max_batch = static_cast<int>(v); }},
      {"SCRIPTGEN_EMBED_MAX_WAIT_MS", 0, 10000,
       [&](int64_t v) { spec.max_wait = std::chrono::milliseconds(v); }},
      {"SCRIPTGEN_EMBED_TIMEOUT_MS", 1, 600000,
       [&](int64_t v) { spec.timeout = std::chrono::milliseconds(v); }},
  };
  for (const IntVar& var : ints) {
    if (auto v = env(var.name)) {
      StatusOr<int64_t> n = ParseInt(var.name, *v, var.min, var.max);
      if (!n.ok()) return n.status();
      var.set(*n);
    }
  }
  if (auto v = env("SCRIPTGEN_EMBED_SEND_DIMENSIONS")) {
    if (*v == "true" || *v == "1") {
      spec.send_dimensions = true;
    } else if (*v == "false" || *v == "0") {
      spec.send_dimensions = false;
    } else {
      return InvalidArgument("SCRIPTGEN_EMBED_SEND_DIMENSIONS must be true or false, got '" + *v +
                             "'");
    }
  }

  const std::optional<std::string> key = env("SCRIPTGEN_EMBED_API_KEY");
  const std::optional<std::string> key_file = env("SCRIPTGEN_EMBED_API_KEY_FILE");
  if (key && key_file) {
    return InvalidArgument(
        "set only one of SCRIPTGEN_EMBED_API_KEY and SCRIPTGEN_EMBED_API_KEY_FILE");
  }
  if (key) spec.api_key = *key;
  if (key_file) {
    StatusOr<std::string> k = ReadKeyFile(*key_file);
    if (!k.ok()) return k.status();
    spec.api_key = std::move(*k);
  }
  return spec;
}

StatusOr<std::shared_ptr<Embedder>> MakeEmbedder(const EmbedderSpec& spec,
                                                 obs::ServiceMetrics* metrics) {
  if (spec.dim == 0 || spec.dim > 65536) {
    return InvalidArgument("embedding dimension must be 1..65536, got " + std::to_string(spec.dim));
  }
  if (spec.max_batch < 1 || spec.max_batch > 2048) {
    return InvalidArgument("embedding batch size must be 1..2048, got " +
                           std::to_string(spec.max_batch));
  }
  if (spec.max_wait.count() < 0) return InvalidArgument("embedding max wait must not be negative");
  if (spec.rpm < 0 || spec.tpm < 0) return InvalidArgument("embedding rate limits must be >= 0");

  std::shared_ptr<Embedder> provider;
  if (spec.provider == "hash") {
    StatusOr<std::unique_ptr<HashEmbedder>> hash = HashEmbedder::Create({.dimension = spec.dim});
    if (!hash.ok()) return hash.status();
    provider = std::move(*hash);
    if (!spec.batch_local_provider) return provider;
  } else if (spec.provider == "openai") {
    if (spec.url.empty()) {
      return InvalidArgument("SCRIPTGEN_EMBED_URL is required for embedding provider openai");
    }
    if (spec.model.empty()) {
      return InvalidArgument("SCRIPTGEN_EMBED_MODEL is required for embedding provider openai");
    }
    std::shared_ptr<EmbeddingRateLimiter> limiter = spec.rate_limiter;
    if (!limiter) {
      limiter = std::make_shared<EmbeddingRateLimiter>(
          EmbeddingRateLimiterOptions{.requests_per_minute = static_cast<double>(spec.rpm),
                                      .tokens_per_minute = static_cast<double>(spec.tpm),
                                      .store = spec.bucket_store});
    }
    StatusOr<std::unique_ptr<OpenAiEmbedder>> openai =
        OpenAiEmbedder::Create({.base_url = spec.url,
                                .model = spec.model,
                                .dimension = spec.dim,
                                .send_dimensions = spec.send_dimensions,
                                .api_key = spec.api_key,
                                .ca_file = spec.ca_file,
                                .version = spec.version,
                                .timeout = spec.timeout,
                                .max_inputs_per_request = static_cast<size_t>(spec.max_batch),
                                .max_attempts = spec.max_attempts,
                                .retry_budget = spec.retry_budget,
                                .rate_limiter = std::move(limiter),
                                .metrics = metrics});
    if (!openai.ok()) return openai.status();
    provider = std::move(*openai);
  } else {
    return InvalidArgument("SCRIPTGEN_EMBED_PROVIDER must be 'hash' or 'openai', got '" +
                           spec.provider + "'");
  }
  return std::shared_ptr<Embedder>(std::make_shared<BatchingEmbedder>(
      std::move(provider),
      BatchingEmbedderOptions{
          .max_batch = static_cast<size_t>(spec.max_batch),
          .max_wait = spec.max_wait,
          .max_concurrent_batches = std::max<size_t>(1, spec.max_concurrent_batches),
          .flush_when_callers = spec.flush_when_callers,
          .metrics = metrics,
      }));
}

}  // namespace scriptgen::embed
