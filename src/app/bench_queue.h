// `scriptgen bench queue`: end-to-end throughput of the embedded durable queue with no-op jobs.
#pragma once

#include <string>

namespace scriptgen::app {

struct QueueBenchOptions {
  int jobs = 20000;
  int workers = 2;       // worker threads
  int producers = 64;    // concurrent enqueuers, each enqueuing one job per call
  int prefetch = 512;    // jobs claimed ahead of the worker threads
  bool durable = true;   // false: the in-memory queue (USE_DURABLE_WORKER=false)
  std::string data_dir;  // empty: a fresh temporary directory, removed afterwards
};

// Prints figures to stdout; returns a process exit code.
int RunQueueBench(const QueueBenchOptions& options);

}  // namespace scriptgen::app
