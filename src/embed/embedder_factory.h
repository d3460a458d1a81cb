// Building the process's Embedder from configuration: EmbedderSpec says which provider, model and
// limits; EmbedderSpecFromEnv fills it from SCRIPTGEN_EMBED_* variables; MakeEmbedder builds the
// provider (with its rate limiter) behind a BatchingEmbedder.
//
//   StatusOr<EmbedderSpec> spec = EmbedderSpecFromEnv(defaults_from_flags);
//   if (!spec.ok()) return spec.status();
//   StatusOr<std::shared_ptr<Embedder>> embedder = MakeEmbedder(*spec, &metrics);
//
// Environment (each optional; a set variable overrides the field in `defaults`):
//   SCRIPTGEN_EMBED_PROVIDER        hash | openai
//   SCRIPTGEN_EMBED_URL             base URL, e.g. https://api.openai.com/v1 (openai: required)
//   SCRIPTGEN_EMBED_MODEL           model name (openai: required)
//   SCRIPTGEN_EMBED_DIM             vector dimension, 1..65536
//   SCRIPTGEN_EMBED_API_KEY         key sent as "Authorization: Bearer"; or
//   SCRIPTGEN_EMBED_API_KEY_FILE    a file holding it (first line; setting both is an error)
//   SCRIPTGEN_EMBED_CA_FILE         PEM CA bundle to trust instead of the system store
//   SCRIPTGEN_EMBED_RPM / _TPM      requests / tokens per minute, 0 = unlimited
//   SCRIPTGEN_EMBED_BATCH           inputs per provider call, 1..2048
//   SCRIPTGEN_EMBED_MAX_WAIT_MS     batching delay, 0..10000
//   SCRIPTGEN_EMBED_TIMEOUT_MS      per HTTP request, 1..600000
//   SCRIPTGEN_EMBED_SEND_DIMENSIONS true | false: send "dimensions" in requests
// Bad values are InvalidArgument naming the variable; a key file that cannot be read is
// NotFound/FailedPrecondition naming the file. The key itself is never part of a message.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "embed/embedder.h"
#include "embed/embedding_rate_limiter.h"
#include "util/status.h"

namespace scriptgen::obs {
struct ServiceMetrics;
}

namespace scriptgen::embed {

struct EmbedderSpec {
  std::string provider = "hash";  // "hash" | "openai"
  std::string model;              // openai only
  size_t dim = 384;
  std::string url;      // openai only
  std::string api_key;  // openai only; never logged
  std::string ca_file;
  bool send_dimensions = false;
  std::string version;  // openai: overrides "openai:<model>:<dim>"; hash: ignored

  int rpm = 0;  // requests per minute, 0 = unlimited
  int tpm = 0;  // estimated tokens per minute, 0 = unlimited
  int max_batch = 64;
  std::chrono::milliseconds max_wait{20};
  std::chrono::milliseconds timeout{30000};
  int max_attempts = 4;
  std::chrono::milliseconds retry_budget{120000};
  size_t max_concurrent_batches = 4;
  // Send a batch early once this many calls wait (the embedding threads); see batching_embedder.h.
  size_t flush_when_callers = 0;

  // The hash provider is local CPU work: batching only adds latency, so it is returned bare
  // unless this is set (then it is batched too, e.g. to see embedding_batch_efficiency).
  bool batch_local_provider = false;
  // Where the rate buckets live; null: in this process (the Redis backend passes its own).
  std::shared_ptr<RateBucketStore> bucket_store;
  // openai: a limiter to share with other embedders calling the same provider account (e.g. the
  // active and the building embed_version during a reindex), so they split one budget. Null: a
  // new limiter from rpm, tpm and bucket_store.
  std::shared_ptr<EmbeddingRateLimiter> rate_limiter;

  // "openai https://host:443 model=m dim=768 rpm=0 tpm=0 batch=64" for a start-up log line.
  // Never includes the key.
  std::string Describe() const;
};

// Looks a variable up; nullopt if unset. Default: std::getenv, with "" counting as unset.
using EnvLookup = std::function<std::optional<std::string>(const char* name)>;

StatusOr<EmbedderSpec> EmbedderSpecFromEnv(EmbedderSpec defaults = {}, const EnvLookup& env = {});

// Checks the spec (InvalidArgument naming the field) and builds the embedder: HashEmbedder (its
// version stays "hash-v1-<dim>") or OpenAiEmbedder with an EmbeddingRateLimiter, wrapped in a
// BatchingEmbedder (see batch_local_provider). metrics may be null.
StatusOr<std::shared_ptr<Embedder>> MakeEmbedder(const EmbedderSpec& spec,
                                                 obs::ServiceMetrics* metrics);

}  // namespace scriptgen::embed
