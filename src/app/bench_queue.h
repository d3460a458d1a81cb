// `scriptgen bench queue`: end-to-end throughput of a queue backend with no-op jobs: the embedded
// durable queue (default), the in-memory one, or Redis (`--backend redis://host:port`).
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
  // "redis://..." or "rediss://...": the Redis queue on that server, under a fresh queue name
  // whose keys are deleted afterwards (nothing else in the database is touched). Empty: embedded.
  std::string backend;
  // > 0: also enqueue at this fixed rate (jobs/s, one producer) for a few seconds and report the
  // enqueue-to-complete latency at that load.
  int rate = 0;
  // Redis backend: also publish every job's state events through Redis (the RedisProgressBus a
  // scale-out deployment uses for SSE on any node). Off: events stay in the bench process, and
  // the figure is the queue's own (BullMQ's bench likewise counts its queue alone).
  bool redis_events = false;
};

// Prints figures to stdout; returns a process exit code.
int RunQueueBench(const QueueBenchOptions& options);

}  // namespace scriptgen::app
