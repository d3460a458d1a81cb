// scriptgen: one binary, many subcommands (CLI11). This file only parses the command line and
// hands over to the subcommand's Run function; wiring lives in the app/ files next to it.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "app/bench_queue.h"

int main(int argc, char** argv) {
  CLI::App app{"scriptgen: durable document ingestion, search and data governance"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "scriptgen 0.1.0");

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

  CLI11_PARSE(app, argc, argv);

  if (bench_queue->parsed()) {
    qb.durable = !in_memory;
    return scriptgen::app::RunQueueBench(qb);
  }
  return 0;
}
