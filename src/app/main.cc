// scriptgen: one binary, many subcommands (CLI11). This file only parses the command line and
// hands over to the subcommand's Run function; wiring lives in the app/ files next to it.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "app/bench_queue.h"
#include "app/serve.h"
#include "client/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"scriptgen: durable document ingestion, search and data governance"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "scriptgen 0.1.0");

  scriptgen::app::ServeOptions so;
  auto* serve = app.add_subcommand("serve", "Run the HTTP API and the workers (embedded backends)");
  serve->add_option("--listen", so.listen, "Address to listen on (host:port)")
      ->envname("SCRIPTGEN_LISTEN")
      ->capture_default_str();
  serve->add_option("--data-dir", so.data_dir, "Directory for the database and uploaded files")
      ->envname("SCRIPTGEN_DATA_DIR")
      ->capture_default_str();
  serve->add_option("--workers", so.workers, "Worker threads (0: two per core, at least 4)")
      ->envname("SCRIPTGEN_WORKERS")
      ->check(CLI::Range(0, 1024));
  serve->add_option("--max-upload-mb", so.max_upload_mb, "Largest accepted upload, in MiB")
      ->envname("SCRIPTGEN_MAX_UPLOAD_MB")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  serve
      ->add_option("--durable-worker", so.durable_worker,
                   "true: jobs go through the durable queue; false: in-process, not persisted")
      ->envname("USE_DURABLE_WORKER")
      ->capture_default_str();
  serve->add_option("--embed-dim", so.embed_dimension, "Dimension of the default hash embedder")
      ->envname("SCRIPTGEN_EMBED_DIM")
      ->check(CLI::Range(8, 4096))
      ->capture_default_str();
  serve->add_option("--chunk-chars", so.chunk_chars, "Target chunk size in characters")
      ->envname("SCRIPTGEN_CHUNK_CHARS")
      ->check(CLI::Range(50, 100000))
      ->capture_default_str();
  serve->add_option("--chunk-overlap", so.chunk_overlap, "Chunk overlap in characters")
      ->envname("SCRIPTGEN_CHUNK_OVERLAP")
      ->check(CLI::Range(0, 50000))
      ->capture_default_str();

  auto* bench = app.add_subcommand("bench", "Built-in benchmarks");
  bench->require_subcommand(1);
  scriptgen::app::QueueBenchOptions qb;
  auto* bench_queue = bench->add_subcommand("queue", "No-op jobs through the embedded queue");
  bench_queue->add_option("--jobs", qb.jobs, "Number of jobs")->check(CLI::Range(1, 100'000'000));
  bench_queue->add_option("--workers", qb.workers, "Worker threads")->check(CLI::Range(1, 1024));
  bench_queue->add_option("--producers", qb.producers, "Concurrent enqueuers")
      ->check(CLI::Range(1, 4096));
  bench_queue->add_option("--prefetch", qb.prefetch, "Jobs claimed ahead of the workers")
      ->check(CLI::Range(0, 100000));
  bench_queue->add_option("--data-dir", qb.data_dir, "Use this directory (default: a temp dir)");
  bool in_memory = false;
  bench_queue->add_flag("--in-memory", in_memory, "Use the non-durable in-memory queue");

  scriptgen::client::ClientCommands client = scriptgen::client::AddClientCommands(app);

  CLI11_PARSE(app, argc, argv);

  if (serve->parsed()) return scriptgen::app::RunServe(so);
  if (client.parsed()) return client.Run();
  if (bench_queue->parsed()) {
    qb.durable = !in_memory;
    return scriptgen::app::RunQueueBench(qb);
  }
  return 0;
}
