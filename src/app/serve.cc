// Wiring of the embedded deployment. Start order: store, queue, search index (rebuilt from the
// store), workers, then HTTP last, so /readyz never says ready before everything behind it is.
// Stop order is the reverse: HTTP first (no new work), then the workers (running jobs finish or are
// released for the next start), then the store.
#include "app/serve.h"

#include <signal.h>

#include <cstdio>
#include <filesystem>
#include <thread>

#include "api/api.h"
#include "app/admin_token.h"
#include "backends/fs/fs_blob_store.h"
#include "backends/sqlite/database.h"
#include "backends/sqlite/sqlite_document_store.h"
#include "backends/sqlite/sqlite_queue.h"
#include "backends/sqlite/sqlite_step_store.h"
#include "embed/hash_embedder.h"
#include "http/server.h"
#include "ingest/document_service.h"
#include "ingest/ingest_pipeline.h"
#include "jobs/memory_progress_bus.h"
#include "jobs/memory_queue.h"
#include "jobs/worker_pool.h"
#include "search/search_service.h"

namespace scriptgen::app {
namespace {

namespace stdfs = std::filesystem;

int Fail(const std::string& what, const Status& s) {
  std::fprintf(stderr, "scriptgen serve: %s: %s\n", what.c_str(), s.ToString().c_str());
  return 1;
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

int RunServe(const ServeOptions& o) {
  const sigset_t stop_signals = BlockStopSignals();
  std::error_code ec;
  const stdfs::path data = stdfs::absolute(o.data_dir);
  const stdfs::path staging = data / "staging";
  stdfs::create_directories(data / "blobs", ec);
  stdfs::create_directories(staging, ec);
  if (ec) return Fail("cannot create data directory " + data.string(), Unavailable(ec.message()));
  // Bodies of uploads that were cut off by a crash; never referenced by anything.
  for (const auto& leftover : stdfs::directory_iterator(staging, ec))
    stdfs::remove(leftover.path(), ec);

  StatusOr<AdminToken> token = LoadOrCreateAdminToken(data.string());
  if (!token.ok()) return Fail("admin token", token.status());

  StatusOr<std::unique_ptr<sqlite::Database>> db =
      sqlite::Database::Open((data / "scriptgen.db").string());
  if (!db.ok()) return Fail("cannot open the database", db.status());

  jobs::MemoryProgressBus bus;
  std::unique_ptr<jobs::JobQueue> queue;
  if (o.durable_worker) {
    queue = std::make_unique<sqlite::SqliteQueue>(db->get(), jobs::RetryPolicy(), &bus);
  } else {
    queue = std::make_unique<jobs::MemoryQueue>(jobs::RetryPolicy(), &bus);
  }
  sqlite::SqliteDocumentStore documents(db->get());
  sqlite::SqliteTransactor transactor(db->get());
  sqlite::SqliteStepStore steps(db->get());
  fs::FsBlobStore blobs((data / "blobs").string());

  StatusOr<std::unique_ptr<HashEmbedder>> embedder =
      HashEmbedder::Create({.dimension = o.embed_dimension});
  if (!embedder.ok()) return Fail("embedder", embedder.status());
  search::SearchService search(&documents, embedder->get());
  if (Status s = search.Load(); !s.ok()) return Fail("cannot load the search index", s);

  ChunkOptions chunking;
  chunking.target_chars = o.chunk_chars;
  chunking.overlap_chars = o.chunk_overlap;
  if (Status s = ValidateChunkOptions(chunking); !s.ok()) return Fail("chunk options", s);
  ingest::IngestPipeline pipeline({&documents, &blobs, &steps, embedder->get(), &search},
                                  {.chunking = chunking});
  jobs::HandlerRegistry registry;
  (void)registry.Register(ingest::kIngestJobType,
                          [&pipeline](jobs::JobContext& ctx) { return pipeline.Run(ctx); });
  // Ingest jobs spend much of their time waiting for commits (one per step), so twice as many
  // threads as cores keeps the CPU busy; group commit lets their waits overlap.
  const int threads = o.workers > 0
                          ? o.workers
                          : std::max(4, 2 * static_cast<int>(std::thread::hardware_concurrency()));
  jobs::WorkerPool pool(queue.get(), &registry, &bus, {.threads = threads});
  pool.Start();

  ingest::DocumentService document_service(
      {&documents, &transactor, &blobs, queue.get(), &steps, &search});
  api::ApiServices services{&document_service, queue.get(), &bus, &search, [&]() -> std::string {
                              if (!search.loaded()) return "search index loading";
                              if (!pool.running()) return "workers stopped";
                              return "";
                            }};
  http::ServerOptions server_options;
  server_options.listen = o.listen;
  server_options.upload_dir = staging.string();
  server_options.handler_threads = 32;
  server_options.before = api::MakeAuthenticator(token->token);
  http::Server server(server_options,
                      api::BuildRouter(services, {.max_upload_bytes = o.max_upload_mb << 20,
                                                  .upload_dir = staging.string(),
                                                  .admin_token = token->token}));
  if (Status s = server.Start(); !s.ok()) {
    pool.Shutdown(std::chrono::seconds(0));
    return Fail("cannot listen on " + o.listen, s);
  }
  if (token->generated) {
    std::printf("Admin token (shown once; kept in %s, mode 0600):\n  %s\n", token->path.c_str(),
                token->token.c_str());
  }
  std::printf("scriptgen serving on %s (data %s, %s queue, %zu chunks indexed, embed %s)\n",
              o.listen.c_str(), data.c_str(), o.durable_worker ? "durable SQLite" : "in-memory",
              search.indexed_chunks(), search.embed_version().c_str());
  std::fflush(stdout);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  std::printf("scriptgen: %s received, shutting down\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
  std::fflush(stdout);
  server.Stop(std::chrono::seconds(o.shutdown_grace_s));
  pool.Shutdown(std::chrono::seconds(o.shutdown_grace_s));
  return 0;
}

}  // namespace scriptgen::app
