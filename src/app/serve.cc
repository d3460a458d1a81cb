// Wiring of one scriptgen process: `serve` (API and workers, the embedded deployment), `serve
// --role api` or `worker` (the scale-out deployment: a Redis queue shared by the processes, one
// data directory on one host). Start order: store, queue, embed_versions and search indexes
// (rebuilt from the store), workers, then HTTP last, so /readyz never says ready before everything
// behind it is. Stop order is the reverse: HTTP first (no new work), then the workers (running
// jobs finish or are released for the next start), then the store.
//
// Processes that share their data with others (role api/worker, or a Redis queue) follow what the
// others did: the API node polls the store for documents workers made ready (IndexFollower), and
// every process re-reads the embed_version registry every 5 s.
#include "app/serve.h"

#include <signal.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "api/api.h"
#include "app/counted_audit_store.h"
#include "app/embedders.h"
#include "app/job_telemetry.h"
#include "app/periodic_task.h"
#include "app/secrets.h"
#include "auth/access_control.h"
#include "backends/fs/fs_blob_store.h"
#include "backends/redis/redis_client.h"
#include "backends/redis/redis_progress_bus.h"
#include "backends/redis/redis_queue.h"
#include "backends/redis/redis_rate_bucket_store.h"
#include "backends/sqlite/database.h"
#include "backends/sqlite/sqlite_audit_store.h"
#include "backends/sqlite/sqlite_document_store.h"
#include "backends/sqlite/sqlite_embed_version_store.h"
#include "backends/sqlite/sqlite_erase_store.h"
#include "backends/sqlite/sqlite_queue.h"
#include "backends/sqlite/sqlite_step_store.h"
#include "backends/sqlite/sqlite_token_store.h"
#include "extract/file_security_validator.h"
#include "governance/audit_chain.h"
#include "governance/certificate.h"
#include "governance/erase_service.h"
#include "governance/key_file.h"
#include "governance/orphan_detector.h"
#include "governance/retention_service.h"
#include "governance/signing_key.h"
#include "http/server.h"
#include "ingest/document_service.h"
#include "ingest/ingest_pipeline.h"
#include "jobs/lease_owners.h"
#include "jobs/memory_progress_bus.h"
#include "jobs/memory_queue.h"
#include "jobs/worker_pool.h"
#include "obs/logger.h"
#include "obs/service_metrics.h"
#include "pii/pii_scrubber.h"
#include "pii/secret_scanner.h"
#include "search/index_follower.h"
#include "search/search_service.h"
#include "util/rate_limiter.h"
#include "versioning/embed_version_service.h"

namespace scriptgen::app {
namespace {

namespace stdfs = std::filesystem;

int Fail(const std::string& what, const Status& s) {
  obs::Logger::Global().Error("cannot start: " + what, {{"error", s.ToString()}});
  return 1;
}

uint64_t FileSize(const stdfs::path& p) {
  std::error_code ec;
  const uintmax_t n = stdfs::file_size(p, ec);
  return ec ? 0 : static_cast<uint64_t>(n);
}

// Scrape-time values: queue lengths by state, index size, database size.
void InstallCallbacks(obs::ServiceMetrics& m, jobs::JobQueue* queue, search::SearchService* search,
                      const stdfs::path& db_path) {
  m.worker_queue_length.SetCallback([queue] {
    std::vector<obs::Sample> out;
    StatusOr<jobs::QueueCounts> c = queue->Counts();
    if (!c.ok()) return out;
    for (int s = 0; s < jobs::kJobStateCount; ++s) {
      out.push_back({{std::string(jobs::StateName(static_cast<jobs::JobState>(s)))},
                     static_cast<double>(c->by_state[s])});
    }
    return out;
  });
  m.vector_index_size.SetCallback([search] {
    return std::vector<obs::Sample>{
        {{search->embed_version()}, static_cast<double>(search->indexed_chunks())}};
  });
  m.store_size_bytes.SetCallback([db_path] {
    return std::vector<obs::Sample>{
        {{"database"}, static_cast<double>(FileSize(db_path))},
        {{"wal"}, static_cast<double>(FileSize(db_path.string() + "-wal"))}};
  });
}

// Blocks SIGINT/SIGTERM in every thread (call before starting any) so that WaitForSignal can take
// them synchronously.
sigset_t BlockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

}  // namespace

bool IsRedisUrl(std::string_view url) {
  return url.starts_with("redis://") || url.starts_with("rediss://");
}

std::string_view ProcessModeName(ProcessMode mode) {
  switch (mode) {
    case ProcessMode::kAll:
      return "all";
    case ProcessMode::kApi:
      return "api";
    case ProcessMode::kWorker:
      return "worker";
  }
  return "all";
}

int RunServe(const ServeOptions& o) {
  if (o.role != "all" && o.role != "api") {
    return Fail("--role", InvalidArgument("must be all or api"));
  }
  return RunProcess(o, o.role == "api" ? ProcessMode::kApi : ProcessMode::kAll);
}

int RunWorker(const ServeOptions& o) {
  return RunProcess(o, ProcessMode::kWorker);
}

int RunProcess(const ServeOptions& o, ProcessMode mode) {
  const sigset_t stop_signals = BlockStopSignals();
  // Everything the server creates (database, WAL, blobs, staged uploads, keys) holds user data or
  // secrets: readable by the service account only.
  ::umask(077);
  obs::Logger& log = obs::Logger::Global();
  std::optional<obs::LogLevel> level = obs::ParseLogLevel(o.log_level);
  if (!level) return Fail("--log-level", InvalidArgument("must be debug, info, warn or error"));
  log.SetLevel(*level);
  obs::ServiceMetrics metrics;
  std::error_code ec;
  const stdfs::path data = stdfs::absolute(o.data_dir);
  const stdfs::path staging = data / "staging";
  stdfs::create_directories(data / "blobs", ec);
  stdfs::create_directories(staging, ec);
  if (ec) return Fail("cannot create data directory " + data.string(), Unavailable(ec.message()));
  // Bodies of uploads that were cut off by a crash; never referenced by anything.
  for (const auto& leftover : stdfs::directory_iterator(staging, ec))
    stdfs::remove(leftover.path(), ec);

  StatusOr<Secret> admin_token = LoadAdminToken(data.string());
  if (!admin_token.ok()) return Fail("admin token", admin_token.status());
  StatusOr<Secret> token_key = LoadTokenHashKey(data.string());
  if (!token_key.ok()) return Fail("token hash key", token_key.status());
  StatusOr<Secret> pii_key = LoadPseudonymKey(data.string());
  if (!pii_key.ok()) return Fail("PII pseudonym key", pii_key.status());
  StatusOr<pii::ScrubPolicy> pii_policy = pii::ParseScrubPolicy(o.pii_policy);
  if (!pii_policy.ok()) return Fail("--pii-policy", pii_policy.status());
  StatusOr<pii::PiiScrubber> scrubber = pii::PiiScrubber::Create(*pii_policy, pii_key->value);
  if (!scrubber.ok()) return Fail("PII scrubber", scrubber.status());
  StatusOr<pii::SecretPolicy> secret_policy = pii::ParseSecretPolicy(o.secret_policy);
  if (!secret_policy.ok()) return Fail("--secret-policy", secret_policy.status());
  extract::ValidationOptions validation;
  if (!o.allowed_types.empty()) validation.allowed_mime = o.allowed_types;
  const extract::FileSecurityValidator validator(validation);
  StatusOr<std::string> audit_key =
      governance::LoadOrCreateKeyFile(governance::AuditKeyPath(data.string()));
  if (!audit_key.ok()) return Fail("audit key", audit_key.status());
  StatusOr<governance::SigningKey> signing_key =
      governance::SigningKey::LoadOrCreate(governance::SigningKeyPath(data.string()));
  if (!signing_key.ok()) return Fail("signing key", signing_key.status());

  StatusOr<std::unique_ptr<sqlite::Database>> db =
      sqlite::Database::Open((data / "scriptgen.db").string());
  if (!db.ok()) return Fail("cannot open the database", db.status());

  jobs::RetryPolicyOptions retry_options;
  retry_options.max_attempts = o.max_attempts;
  const jobs::RetryPolicy retry(retry_options);
  // The queue and its progress bus: Redis (shared by every process of a deployment), the embedded
  // SQLite queue, or the in-process one (USE_DURABLE_WORKER=false).
  const bool redis_queue = IsRedisUrl(o.queue);
  std::shared_ptr<redis::RedisPool> redis_pool;
  std::unique_ptr<jobs::ProgressBus> bus;
  std::optional<jobs::LeaseOwners> lease_owners;  // outlives the queue
  std::unique_ptr<jobs::JobQueue> queue;
  std::string queue_name;
  if (redis_queue) {
    StatusOr<redis::RedisEndpoint> endpoint = redis::ParseRedisUrl(o.queue);
    if (!endpoint.ok()) return Fail("--queue", endpoint.status());
    redis_pool = std::make_shared<redis::RedisPool>(*endpoint, redis::RedisPoolOptions{.size = 16});
    bus = std::make_unique<redis::RedisProgressBus>(redis_pool);
    StatusOr<std::unique_ptr<redis::RedisQueue>> q =
        redis::MakeRedisQueue(redis_pool, SystemClock::Get(), bus.get(), retry);
    if (!q.ok()) return Fail("cannot reach the Redis queue " + endpoint->Describe(), q.status());
    queue = std::move(*q);
    queue_name = endpoint->Describe();
  } else if (!o.queue.empty() && o.queue != "sqlite") {
    return Fail("--queue", InvalidArgument("must be empty, sqlite, redis://... or rediss://..."));
  } else {
    bus = std::make_unique<jobs::MemoryProgressBus>();
    if (o.durable_worker) {
      // A restarted process takes back the jobs its crashed predecessor held at once, not after
      // their leases expire; so does any process sharing the database (jobs/lease_owners.h).
      lease_owners.emplace((data / "workers").string());
      queue = std::make_unique<sqlite::SqliteQueue>(db->get(), retry, bus.get(), SystemClock::Get(),
                                                    &*lease_owners);
      queue_name = "durable SQLite";
    } else {
      queue = std::make_unique<jobs::MemoryQueue>(retry, bus.get());
      queue_name = "in-memory";
    }
  }
  // Other processes run pipelines on the same data: this one follows their results (search index,
  // embed_version changes) instead of producing all of them itself.
  const bool shared_data = redis_queue || mode != ProcessMode::kAll;
  const bool runs_http = mode != ProcessMode::kWorker;
  const bool runs_workers = mode != ProcessMode::kApi;
  sqlite::SqliteDocumentStore documents(db->get());
  sqlite::SqliteTransactor transactor(db->get());
  sqlite::SqliteStepStore steps(db->get());
  fs::FsBlobStore blobs((data / "blobs").string());
  sqlite::SqliteTokenStore tokens(db->get());
  sqlite::SqliteAuditStore sqlite_audit(db->get(), governance::MakeChainHasher(*audit_key));
  CountedAuditStore audit(&sqlite_audit, &metrics.audit_entries_total);
  sqlite::SqliteEraseStore erases(db->get());
  auto subject_hash = [key = *audit_key](const std::string& subject) {
    return governance::SubjectHash(key, subject);
  };
  auth::AccessControlManager access(&tokens, token_key->value, admin_token->value,
                                    SystemClock::Get(), &audit);
  KeyedRateLimiter rate_limiter({.per_second = o.rate_limit_per_s, .burst = o.rate_limit_burst});

  // Embedders and search indexes of the registered embed_versions (R-G1).
  // Ingest jobs spend much of their time waiting for commits (one per step) or the embedding
  // provider, so twice as many threads as cores keeps the CPU busy; group commit lets their waits
  // overlap.
  const int threads = o.workers > 0
                          ? o.workers
                          : std::max(4, 2 * static_cast<int>(std::thread::hardware_concurrency()));
  // Processes sharing a Redis queue also share the embedding provider's rate-limit budget.
  std::shared_ptr<embed::RateBucketStore> rate_buckets;
  if (redis_pool) rate_buckets = std::make_shared<redis::RedisRateBucketStore>(redis_pool);
  const EmbedConfig embed_config{.provider = o.embed_provider,
                                 .model = o.embed_model,
                                 .dimension = o.embed_dimension,
                                 .url = o.embed_url,
                                 .embedding_threads = static_cast<size_t>(threads),
                                 .rate_buckets = rate_buckets};
  StatusOr<versioning::EmbedVersionSpec> configured = ConfiguredSpec(embed_config);
  if (!configured.ok()) return Fail("embedding provider", configured.status());
  StatusOr<EmbedderFactory> make_embedder = MakeEmbedderFactory(embed_config, &metrics);
  if (!make_embedder.ok()) return Fail("embedding provider", make_embedder.status());
  sqlite::SqliteEmbedVersionStore embed_versions(db->get());
  search::SearchService search(&documents);
  versioning::EmbedVersionService versions({.versions = &embed_versions,
                                            .documents = &documents,
                                            .transactor = &transactor,
                                            .queue = queue.get(),
                                            .search = runs_http ? &search : nullptr,
                                            .audit = &audit,
                                            .metrics = &metrics,
                                            .log = &log,
                                            .make_embedder = *make_embedder});
  if (Status s = versions.Start(*configured); !s.ok()) {
    return Fail("cannot load the embed_versions and search index", s);
  }

  ChunkOptions chunking;
  chunking.target_chars = o.chunk_chars;
  chunking.overlap_chars = o.chunk_overlap;
  if (Status s = ValidateChunkOptions(chunking); !s.ok()) return Fail("chunk options", s);
  ingest::IngestPipeline pipeline({.documents = &documents,
                                   .blobs = &blobs,
                                   .steps = &steps,
                                   .embedders = versions.embedders(),
                                   .search = runs_http ? &search : nullptr,
                                   .validator = &validator,
                                   .scrubber = &*scrubber,
                                   .metrics = &metrics},
                                  {.chunking = chunking, .secret_policy = *secret_policy});
  jobs::HandlerRegistry registry;
  (void)registry.Register(ingest::kIngestJobType,
                          [&pipeline](jobs::JobContext& ctx) { return pipeline.Run(ctx); });
  JobTelemetry telemetry(&metrics, &log);
  jobs::WorkerPool pool(queue.get(), &registry, bus.get(),
                        {.threads = threads, .observer = &telemetry});
  metrics.worker_threads.Set(threads);
  InstallCallbacks(metrics, queue.get(), &search, data / "scriptgen.db");

  ingest::DocumentService document_service({.documents = &documents,
                                            .transactor = &transactor,
                                            .blobs = &blobs,
                                            .queue = queue.get(),
                                            .steps = &steps,
                                            .search = &search,
                                            .validator = &validator,
                                            .metrics = &metrics,
                                            .audit = &audit,
                                            .subject_hash = subject_hash});
  sqlite::Database* const database = db->get();
  governance::EraseService erase(
      {.erases = &erases,
       .documents = &documents,
       .transactor = &transactor,
       .audit = &audit,
       .queue = queue.get(),
       .document_service = &document_service,
       .blobs = &blobs,
       .signer = &*signing_key,
       .subject_key = *audit_key,
       .compact_store = [database] { return database->CheckpointAndTruncateWal(); }});
  (void)registry.Register(governance::kEraseJobType,
                          [&erase](jobs::JobContext& ctx) { return erase.RunJob(ctx); });
  (void)registry.Register(versioning::kReindexJobType, [&versions](jobs::JobContext& ctx) {
    return versions.RunReindexJob(ctx);
  });
  governance::RetentionService retention(
      {.documents = &documents,
       .document_service = &document_service,
       .audit = &audit,
       .erases = &erases,
       .signer = &*signing_key,
       .audit_key = *audit_key,
       .compact_store = [database] { return database->CheckpointAndTruncateWal(); }},
      {.user_content_days = o.retention_days});
  auto find_orphans = [&documents, &blobs, staging](bool fix) {
    return governance::FindOrphans(documents, blobs, {.staging_dir = staging.string(), .fix = fix});
  };
  // Daily upkeep: the retention sweep and the orphan sweep (R-G2, R-G3).
  PeriodicTask upkeep(std::chrono::hours(24), [&] {
    if (!runs_http) return;  // one sweeper per deployment: the API nodes
    StatusOr<governance::RetentionReport> r =
        retention.Run(SystemClock::Get()->NowMs(), "system:retention");
    if (!r.ok()) {
      log.Error("retention sweep failed", {{"error", r.status().ToString()}});
      metrics.retention_runs_total.WithLabels({"failed"}).Inc();
    } else {
      metrics.retention_runs_total.WithLabels({"ok"}).Inc();
      metrics.retention_deleted_total.WithLabels({"user_content"})
          .Inc(static_cast<uint64_t>(r->documents_deleted));
      metrics.retention_last_success_timestamp_seconds.Set(
          static_cast<double>(SystemClock::Get()->NowMs()) / 1000);
      log.Info("retention sweep", {{"documents", r->documents_deleted}});
    }
    if (Status purged = versions.PurgeRetired(); !purged.ok()) {
      log.Error("purging vectors of retired embed_versions failed", {{"error", purged.ToString()}});
    }
    StatusOr<governance::OrphanReport> orphans = find_orphans(/*fix=*/true);
    if (orphans.ok() &&
        orphans->removed + static_cast<int64_t>(orphans->missing_blobs.size()) > 0) {
      log.Warn("orphans", {{"removed", orphans->removed},
                           {"documents_missing_their_file", orphans->missing_blobs.size()}});
    }
  });
  // Following the other processes: documents they made ready join this process's search index;
  // embed_version changes made through another API node reach this process's embedders.
  std::optional<search::IndexFollower> follower;
  if (shared_data && runs_http) {
    follower.emplace(&documents, &search, SystemClock::Get()->NowMs());
  }
  std::optional<PeriodicTask> follow_task;
  if (shared_data) {
    follow_task.emplace(
        std::chrono::milliseconds(250),
        [&, ticks = 0]() mutable {
          if (follower) {
            if (StatusOr<int> n = follower->Poll(); !n.ok()) {
              log.Warn("index follower", {{"error", n.status().ToString()}});
            }
          }
          if (++ticks % 20 == 0) {  // every 5 s
            if (Status r = versions.Refresh(); !r.ok()) {
              log.Warn("embed_version refresh", {{"error", r.ToString()}});
            }
          }
          if (redis_pool) metrics.redis_connection_pool_size.Set(redis_pool->open_connections());
        },
        std::chrono::milliseconds(250));
  }
  if (runs_workers) pool.Start();  // every handler is registered
  api::ApiServices services;
  services.documents = &document_service;
  services.queue = queue.get();
  services.bus = bus.get();
  services.search = &search;
  services.access = &access;
  services.rate_limiter = &rate_limiter;
  services.metrics = &metrics;
  services.erase = &erase;
  services.signing_key = &*signing_key;
  services.retention = &retention;
  services.versions = &versions;
  services.find_orphans = find_orphans;
  // The queue depth for back-pressure, sampled every 500 ms rather than counted per upload.
  std::atomic<int64_t> waiting_jobs{0};
  std::optional<PeriodicTask> depth_task;
  if (o.max_queue_depth > 0 && runs_http) {
    depth_task.emplace(
        std::chrono::milliseconds(500),
        [&] {
          if (StatusOr<jobs::QueueCounts> c = queue->Counts(); c.ok()) {
            waiting_jobs = c->by_state[static_cast<int>(jobs::JobState::kQueued)] +
                           c->by_state[static_cast<int>(jobs::JobState::kScheduled)];
          }
        },
        std::chrono::milliseconds(0));
    services.admit_upload = [&]() -> Status {
      const int64_t waiting = waiting_jobs.load();
      if (waiting <= o.max_queue_depth) return Status::Ok();
      metrics.upload_backpressure_rejections_total.Inc();
      return Unavailable("the job queue is full (" + std::to_string(waiting) +
                         " jobs waiting, limit " + std::to_string(o.max_queue_depth) +
                         "); retry later");
    };
  }
  services.not_ready_reason = [&]() -> std::string {
    if (!search.loaded()) return "search index loading";
    if (runs_workers && !pool.running()) return "workers stopped";
    if (redis_queue) {
      if (StatusOr<jobs::QueueCounts> c = queue->Counts(); !c.ok()) {
        return "queue unreachable: " + c.status().message();
      }
    }
    return "";
  };
  std::vector<api::RoutePolicy> policies;
  http::Router router = api::BuildRouter(services,
                                         {.max_upload_bytes = o.max_upload_mb << 20,
                                          .upload_dir = staging.string(),
                                          .metrics_access = o.metrics_access,
                                          .local_reads = !redis_queue},
                                         &policies);
  http::ServerOptions server_options;
  server_options.listen = o.listen;
  server_options.upload_dir = staging.string();
  server_options.handler_threads = 32;
  server_options.after = api::MakeHttpMetricsHook(policies, &metrics);
  server_options.tls_cert_file = o.tls_cert_file;
  server_options.tls_key_file = o.tls_key_file;
  server_options.allow_plain_http = o.allow_plain_http;
  server_options.max_connections = o.max_connections;
  std::optional<http::Server> server;
  if (runs_http) {
    server.emplace(server_options, std::move(router));
    if (Status s = server->Start(); !s.ok()) {
      pool.Shutdown(std::chrono::seconds(0));
      return Fail("cannot listen on " + o.listen, s);
    }
  }
  if (admin_token->generated) {
    // Never the token itself: output ends up in log collectors. The operator reads the file.
    log.Warn("created a new admin token; read it from the file (mode 0600)",
             {{"source", admin_token->source}});
  }
  log.Info(runs_http ? "serving" : "working", {{"listen", runs_http ? o.listen : std::string("-")},
                                               {"role", ProcessModeName(mode)},
                                               {"data_dir", data.string()},
                                               {"queue", queue_name},
                                               {"indexed_chunks", search.indexed_chunks()},
                                               {"embed_version", search.embed_version()},
                                               {"workers", threads}});

  int sig = 0;
  sigwait(&stop_signals, &sig);
  log.Info("shutting down", {{"signal", sig == SIGINT ? "SIGINT" : "SIGTERM"}});
  if (server) server->Stop(std::chrono::seconds(o.shutdown_grace_s));
  pool.Shutdown(std::chrono::seconds(o.shutdown_grace_s));
  follow_task.reset();
  return 0;
}

}  // namespace scriptgen::app
