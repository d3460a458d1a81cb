// EmbedderSpecFromEnv and MakeEmbedder: variables parsed strictly with messages that name them,
// the API key from a variable or a file and never in messages, the hash provider unchanged, and
// an openai embedder built end to end against the fake provider with metrics.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "embed/batching_embedder.h"
#include "embed/embedder_factory.h"
#include "embed/hash_embedder.h"
#include "embed/openai_embedder.h"
#include "fake_openai_server.h"
#include "obs/service_metrics.h"

namespace scriptgen::embed {
namespace {

using namespace std::chrono_literals;

EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(EmbedderFactoryTest, ReadsEveryVariable) {
  StatusOr<EmbedderSpec> spec =
      EmbedderSpecFromEnv({}, Env({{"SCRIPTGEN_EMBED_PROVIDER", "openai"},
                                   {"SCRIPTGEN_EMBED_URL", "https://api.example.com/v1"},
                                   {"SCRIPTGEN_EMBED_MODEL", "text-embedding-3-small"},
                                   {"SCRIPTGEN_EMBED_DIM", "512"},
                                   {"SCRIPTGEN_EMBED_API_KEY", "sk-abc"},
                                   {"SCRIPTGEN_EMBED_CA_FILE", "/etc/ca.pem"},
                                   {"SCRIPTGEN_EMBED_RPM", "3000"},
                                   {"SCRIPTGEN_EMBED_TPM", "1000000"},
                                   {"SCRIPTGEN_EMBED_BATCH", "128"},
                                   {"SCRIPTGEN_EMBED_MAX_WAIT_MS", "5"},
                                   {"SCRIPTGEN_EMBED_TIMEOUT_MS", "10000"},
                                   {"SCRIPTGEN_EMBED_SEND_DIMENSIONS", "true"}}));
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->provider, "openai");
  EXPECT_EQ(spec->url, "https://api.example.com/v1");
  EXPECT_EQ(spec->model, "text-embedding-3-small");
  EXPECT_EQ(spec->dim, 512u);
  EXPECT_EQ(spec->api_key, "sk-abc");
  EXPECT_EQ(spec->ca_file, "/etc/ca.pem");
  EXPECT_EQ(spec->rpm, 3000);
  EXPECT_EQ(spec->tpm, 1000000);
  EXPECT_EQ(spec->max_batch, 128);
  EXPECT_EQ(spec->max_wait, 5ms);
  EXPECT_EQ(spec->timeout, 10000ms);
  EXPECT_TRUE(spec->send_dimensions);
  const std::string described = spec->Describe();
  EXPECT_NE(described.find("https://api.example.com:443"), std::string::npos) << described;
  EXPECT_EQ(described.find("sk-abc"), std::string::npos) << described;
}

TEST(EmbedderFactoryTest, UnsetVariablesKeepTheDefaults) {
  EmbedderSpec defaults;
  defaults.dim = 256;
  StatusOr<EmbedderSpec> spec = EmbedderSpecFromEnv(defaults, Env({}));
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->provider, "hash");
  EXPECT_EQ(spec->dim, 256u);
  EXPECT_EQ(spec->rpm, 0);
}

TEST(EmbedderFactoryTest, BadValuesNameTheVariable) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"SCRIPTGEN_EMBED_DIM", "abc"},      {"SCRIPTGEN_EMBED_DIM", "0"},
      {"SCRIPTGEN_EMBED_DIM", "384x"},     {"SCRIPTGEN_EMBED_RPM", "-1"},
      {"SCRIPTGEN_EMBED_TPM", "1e6"},      {"SCRIPTGEN_EMBED_BATCH", "5000"},
      {"SCRIPTGEN_EMBED_BATCH", "0"},      {"SCRIPTGEN_EMBED_SEND_DIMENSIONS", "yes please"},
      {"SCRIPTGEN_EMBED_TIMEOUT_MS", "0"},
  };
  for (const auto& [name, value] : bad) {
    StatusOr<EmbedderSpec> spec = EmbedderSpecFromEnv({}, Env({{name, value}}));
    ASSERT_FALSE(spec.ok()) << name << "=" << value;
    EXPECT_EQ(spec.status().code(), Code::kInvalidArgument);
    EXPECT_NE(spec.status().message().find(name), std::string::npos) << spec.status().message();
  }
}

TEST(EmbedderFactoryTest, ApiKeyFromFileAndNeverBoth) {
  char tmpl[] = "/tmp/sg_embed_key_XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  const std::string path = dir + "/key";
  std::ofstream(path) << "sk-from-file-123\n";
  StatusOr<EmbedderSpec> spec =
      EmbedderSpecFromEnv({}, Env({{"SCRIPTGEN_EMBED_API_KEY_FILE", path}}));
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->api_key, "sk-from-file-123");

  spec = EmbedderSpecFromEnv(
      {}, Env({{"SCRIPTGEN_EMBED_API_KEY_FILE", path}, {"SCRIPTGEN_EMBED_API_KEY", "sk-env-456"}}));
  EXPECT_EQ(spec.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(spec.status().message().find("sk-env-456"), std::string::npos);

  spec = EmbedderSpecFromEnv({}, Env({{"SCRIPTGEN_EMBED_API_KEY_FILE", dir + "/missing"}}));
  EXPECT_EQ(spec.status().code(), Code::kNotFound);
  EXPECT_NE(spec.status().message().find("SCRIPTGEN_EMBED_API_KEY_FILE"), std::string::npos);

  std::ofstream(path, std::ios::trunc) << "\n";
  spec = EmbedderSpecFromEnv({}, Env({{"SCRIPTGEN_EMBED_API_KEY_FILE", path}}));
  EXPECT_EQ(spec.status().code(), Code::kFailedPrecondition);
  std::filesystem::remove_all(dir);
}

TEST(EmbedderFactoryTest, HashProviderKeepsItsVersionAndIsNotBatchedByDefault) {
  EmbedderSpec spec;
  StatusOr<std::shared_ptr<Embedder>> e = MakeEmbedder(spec, nullptr);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ((*e)->version(), "hash-v1-384");
  EXPECT_EQ((*e)->provider(), "hash");
  EXPECT_NE(dynamic_cast<HashEmbedder*>(e->get()), nullptr);
  // Same vectors as a HashEmbedder built the way serve.cc builds one.
  HashEmbedder direct({.dimension = 384});
  const std::vector<std::string> texts = {"the same text"};
  std::vector<float> a, b;
  ASSERT_TRUE((*e)->Embed(texts, &a).ok());
  ASSERT_TRUE(direct.Embed(texts, &b).ok());
  EXPECT_EQ(a, b);

  spec.batch_local_provider = true;
  spec.dim = 64;
  e = MakeEmbedder(spec, nullptr);
  ASSERT_TRUE(e.ok());
  EXPECT_NE(dynamic_cast<BatchingEmbedder*>(e->get()), nullptr);
  EXPECT_EQ((*e)->version(), "hash-v1-64");
}

TEST(EmbedderFactoryTest, RejectsIncompleteOrInvalidSpecs) {
  EmbedderSpec spec;
  spec.provider = "word2vec";
  EXPECT_EQ(MakeEmbedder(spec, nullptr).status().code(), Code::kInvalidArgument);
  spec.provider = "openai";
  spec.model = "m";
  Status s = MakeEmbedder(spec, nullptr).status();
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_NE(s.message().find("SCRIPTGEN_EMBED_URL"), std::string::npos) << s.message();
  spec.url = "http://127.0.0.1:1/v1";
  spec.model = "";
  s = MakeEmbedder(spec, nullptr).status();
  EXPECT_NE(s.message().find("SCRIPTGEN_EMBED_MODEL"), std::string::npos) << s.message();
  spec.model = "m";
  spec.url = "https://me:hunter2@example.com/v1";
  s = MakeEmbedder(spec, nullptr).status();
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_EQ(s.message().find("hunter2"), std::string::npos) << s.message();
  spec.url = "http://127.0.0.1:1/v1";
  spec.max_batch = 0;
  EXPECT_EQ(MakeEmbedder(spec, nullptr).status().code(), Code::kInvalidArgument);
}

TEST(EmbedderFactoryConcurrentTest, OpenAiProviderEndToEnd) {
  testing::FakeOpenAiServer fake({.dim = 16});
  obs::ServiceMetrics metrics({.process_metrics = false});
  StatusOr<EmbedderSpec> spec =
      EmbedderSpecFromEnv({}, Env({{"SCRIPTGEN_EMBED_PROVIDER", "openai"},
                                   {"SCRIPTGEN_EMBED_URL", fake.base_url()},
                                   {"SCRIPTGEN_EMBED_MODEL", "fake-model"},
                                   {"SCRIPTGEN_EMBED_DIM", "16"},
                                   {"SCRIPTGEN_EMBED_API_KEY", "sk-e2e"},
                                   {"SCRIPTGEN_EMBED_RPM", "6000"},
                                   {"SCRIPTGEN_EMBED_MAX_WAIT_MS", "5"}}));
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  StatusOr<std::shared_ptr<Embedder>> e = MakeEmbedder(*spec, &metrics);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ((*e)->version(), "openai:fake-model:16");
  EXPECT_EQ((*e)->provider(), "openai");
  EXPECT_EQ((*e)->dimension(), 16u);
  std::vector<float> out;
  ASSERT_TRUE((*e)->Embed(std::vector<std::string>{"hello", "world"}, &out).ok());
  const std::vector<float> want = testing::FakeOpenAiServer::ExpectedVector("world", 16);
  for (size_t k = 0; k < 16; ++k) EXPECT_NEAR(out[16 + k], want[k], 1e-5);
  ASSERT_EQ(fake.call_count(), 1u);
  EXPECT_EQ(fake.calls()[0].authorization, "Bearer sk-e2e");
  EXPECT_EQ(metrics.embedding_api_calls_total.WithLabels({"openai", "ok"}).Value(), 1u);
  EXPECT_EQ(metrics.embedding_batch_efficiency.Snap().count, 1u);
  EXPECT_EQ(metrics.registry.Render().find("sk-e2e"), std::string::npos);
}

TEST(EmbedderFactoryTest, VersionsOfOneProviderCanShareARateLimiter) {
  // Two embed_versions on one provider account (active and building): a Retry-After seen by one
  // pauses the other too.
  testing::FakeOpenAiServer fake({.dim = 8});
  fake.Script({{.status = 429, .retry_after = "30"}});
  EmbedderSpec spec;
  spec.provider = "openai";
  spec.url = fake.base_url();
  spec.dim = 8;
  spec.max_wait = 0ms;
  spec.retry_budget = 1s;
  spec.rate_limiter = std::make_shared<EmbeddingRateLimiter>(EmbeddingRateLimiterOptions{});
  spec.model = "model-a";
  StatusOr<std::shared_ptr<Embedder>> a = MakeEmbedder(spec, nullptr);
  spec.model = "model-b";
  StatusOr<std::shared_ptr<Embedder>> b = MakeEmbedder(spec, nullptr);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE((*a)->version(), (*b)->version());
  std::vector<float> out;
  EXPECT_EQ((*a)->Embed(std::vector<std::string>{"x"}, &out).code(), Code::kResourceExhausted);
  EXPECT_EQ((*b)->Embed(std::vector<std::string>{"y"}, &out).code(), Code::kResourceExhausted);
  EXPECT_EQ(fake.call_count(), 1u) << "b must not call while a's Retry-After is running";
}

}  // namespace
}  // namespace scriptgen::embed
