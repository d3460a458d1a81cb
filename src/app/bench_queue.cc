// Three phases, each timed on its own:
//   1. enqueue: `producers` threads call Enqueue() one job at a time (as HTTP handlers do), so
//      the figure shows what group commit makes of many small durable writes;
//   2. processing: a WorkerPool drains the backlog (claim, run no-op, finish), the figure the
//      foundation issue sets a target for (>= 20,000 jobs/s);
//   3. latency: producers and workers at once; the time from Enqueue() returning to the handler
//      starting, per job, as percentiles.
#include "app/bench_queue.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include "backends/sqlite/database.h"
#include "backends/sqlite/sqlite_queue.h"
#include "jobs/memory_progress_bus.h"
#include "jobs/memory_queue.h"
#include "jobs/worker_pool.h"

namespace scriptgen::app {
namespace {

using SteadyClock = std::chrono::steady_clock;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now().time_since_epoch())
      .count();
}

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p / 100.0 * v.size()));
  return v[i];
}

// Enqueues `count` jobs from `producers` threads; returns per-call latencies in microseconds.
std::vector<double> Produce(jobs::JobQueue& queue, int count, int producers, bool stamp) {
  std::atomic<int> next{0};
  std::vector<double> latencies(count);
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&] {
      for (int i = next++; i < count; i = next++) {
        jobs::EnqueueRequest req{"noop", stamp ? std::to_string(NowNs()) : std::string()};
        const auto t0 = SteadyClock::now();
        if (!queue.Enqueue(req).ok()) failed = true;
        latencies[i] = std::chrono::duration<double, std::micro>(SteadyClock::now() - t0).count();
      }
    });
  }
  for (auto& t : threads) t.join();
  if (failed) std::fprintf(stderr, "bench: some enqueues failed\n");
  return latencies;
}

void WaitForSucceeded(const jobs::WorkerPool& pool, uint64_t target) {
  while (pool.stats().succeeded < target)
    std::this_thread::sleep_for(std::chrono::microseconds(200));
}

// The naive durable queue this one is measured against: one INSERT per transaction, each with its
// own fsync (synchronous=FULL), from one thread — what "durable enqueue" costs without group
// commit.
double NaiveCommitsPerSecond(const std::string& dir, int count) {
  auto conn = sqlite::Connection::Open(dir + "/naive.db", {});
  if (!conn.ok() ||
      !(*conn)->Exec("CREATE TABLE IF NOT EXISTS q(id INTEGER PRIMARY KEY, payload TEXT)").ok()) {
    return 0;
  }
  const auto t0 = SteadyClock::now();
  for (int i = 0; i < count; ++i) {
    auto st = (*conn)->Prepare("INSERT INTO q(payload) VALUES ('noop')");
    if (!st.ok() || !(*st)->Run().ok()) return 0;
  }
  return count / std::chrono::duration<double>(SteadyClock::now() - t0).count();
}

}  // namespace

int RunQueueBench(const QueueBenchOptions& o) {
  namespace fs = std::filesystem;
  std::string dir = o.data_dir;
  const bool temp = dir.empty();
  if (temp) {
    std::string tmpl = (fs::temp_directory_path() / "scriptgen-bench-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) {
      std::perror("bench: mkdtemp");
      return 1;
    }
    dir = tmpl;
  }
  fs::create_directories(dir);

  jobs::MemoryProgressBus bus;
  std::unique_ptr<sqlite::Database> db;
  std::unique_ptr<jobs::JobQueue> queue;
  if (o.durable) {
    auto opened = sqlite::Database::Open((fs::path(dir) / "scriptgen.db").string());
    if (!opened.ok()) {
      std::fprintf(stderr, "bench: %s\n", opened.status().ToString().c_str());
      return 1;
    }
    db = std::move(*opened);
    queue = std::make_unique<sqlite::SqliteQueue>(db.get(), jobs::RetryPolicy(), &bus);
  } else {
    queue = std::make_unique<jobs::MemoryQueue>(jobs::RetryPolicy(), &bus);
  }

  std::mutex lat_mu;
  std::vector<double> pickup_us;
  std::atomic<bool> record{false};
  jobs::HandlerRegistry registry;
  (void)registry.Register("noop", [&](jobs::JobContext& ctx) -> Status {
    if (record.load(std::memory_order_relaxed) && !ctx.job().payload.empty()) {
      const double us = (NowNs() - std::stoll(ctx.job().payload)) / 1000.0;
      std::lock_guard lock(lat_mu);
      pickup_us.push_back(us);
    }
    return Status::Ok();
  });

  std::printf("queue bench: backend=%s jobs=%d workers=%d producers=%d prefetch=%d dir=%s\n",
              o.durable ? "sqlite (WAL, synchronous=FULL)" : "memory (not durable)", o.jobs,
              o.workers, o.producers, o.prefetch, dir.c_str());

  // Phase 1: enqueue only.
  auto t0 = SteadyClock::now();
  std::vector<double> enq = Produce(*queue, o.jobs, o.producers, false);
  const double enqueue_s = std::chrono::duration<double>(SteadyClock::now() - t0).count();

  // Phase 2: drain the backlog.
  jobs::WorkerPoolOptions wo;
  wo.threads = o.workers;
  wo.prefetch = o.prefetch;
  jobs::WorkerPool pool(queue.get(), &registry, &bus, wo);
  t0 = SteadyClock::now();
  pool.Start();
  WaitForSucceeded(pool, o.jobs);
  const double process_s = std::chrono::duration<double>(SteadyClock::now() - t0).count();

  // Phase 3: enqueue while workers run; pick-up latency per job.
  const int mixed = std::max(1000, o.jobs / 4);
  record = true;
  t0 = SteadyClock::now();
  (void)Produce(*queue, mixed, o.producers, true);
  WaitForSucceeded(pool, o.jobs + mixed);
  const double mixed_s = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  pool.Shutdown(std::chrono::seconds(5));

  std::printf("enqueue: %.0f jobs/s (%d jobs in %.3f s; per call p50 %.0f us, p99 %.0f us)\n",
              o.jobs / enqueue_s, o.jobs, enqueue_s, Percentile(enq, 50), Percentile(enq, 99));
  std::printf("processing: %.0f jobs/s (%d jobs claimed, run and finished in %.3f s)\n",
              o.jobs / process_s, o.jobs, process_s);
  std::printf(
      "end-to-end: %.0f jobs/s with producers and workers together; enqueue->start latency "
      "p50 %.2f ms, p95 %.2f ms, p99 %.2f ms\n",
      mixed / mixed_s, Percentile(pickup_us, 50) / 1000, Percentile(pickup_us, 95) / 1000,
      Percentile(pickup_us, 99) / 1000);
  if (o.durable) {
    const int naive_jobs = std::min(o.jobs, 2000);
    const double naive = NaiveCommitsPerSecond(dir, naive_jobs);
    std::printf(
        "baseline: %.0f jobs/s enqueued one fsync per job (%d single-row SQLite commits, "
        "synchronous=FULL, same disk, same run)\n",
        naive, naive_jobs);
    if (naive > 0) {
      std::printf("ratio: enqueue %.1fx, processing %.1fx the naive durable baseline\n",
                  o.jobs / enqueue_s / naive, o.jobs / process_s / naive);
    }
  }
  if (db) {
    const sqlite::WriterStats ws = db->writer().stats();
    std::printf("group commit: %llu ops in %llu commits (%.1f ops per fsync)\n",
                static_cast<unsigned long long>(ws.ops),
                static_cast<unsigned long long>(ws.commits),
                ws.commits ? static_cast<double>(ws.ops) / ws.commits : 0.0);
  }
  queue.reset();
  db.reset();
  if (temp) fs::remove_all(dir);
  return 0;
}

}  // namespace scriptgen::app
