// Phases, each timed on its own:
//   1. enqueue: `producers` threads call Enqueue() one job at a time (as HTTP handlers do), so
//      the figure shows what group commit makes of many small durable writes; with Redis they
//      call EnqueueBatch with 1000 jobs a call instead (as BullMQ's addBulk in the comparison);
//   2. processing: a WorkerPool drains the backlog (claim, run no-op, finish), the figure the
//      foundation issue sets a target for (>= 20,000 jobs/s) and the Redis issue compares with
//      BullMQ (same shape: a pre-filled queue drained by workers);
//   3. latency: producers and workers at once; per job the time from Enqueue() returning to the
//      handler starting, and to the queue having recorded its success, as percentiles;
//   4. (--rate) one producer at a fixed rate, enqueue-to-complete latency at that load.
// With Redis, the queue lives under a fresh name (its keys are deleted at the end), finished jobs
// are deleted as they complete (finished_ttl 0, like BullMQ's removeOnComplete), and state events
// stay in the process unless --redis-events sends them through the RedisProgressBus too, as a
// multi-process deployment does (that roughly halves the figure: three events per job).
#include "app/bench_queue.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "backends/redis/redis_client.h"
#include "backends/redis/redis_progress_bus.h"
#include "backends/redis/redis_queue.h"
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

// Enqueues `count` jobs from `producers` threads, `batch` jobs per call; returns per-call
// latencies in microseconds.
std::vector<double> Produce(jobs::JobQueue& queue, int count, int producers, bool stamp,
                            int batch = 1) {
  std::atomic<int> next{0};
  std::vector<double> latencies((count + batch - 1) / batch);
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&] {
      std::vector<jobs::EnqueueRequest> reqs;
      for (int i = next.fetch_add(batch); i < count; i = next.fetch_add(batch)) {
        reqs.clear();
        for (int k = i; k < std::min(count, i + batch); ++k) {
          reqs.push_back({"noop", stamp ? std::to_string(NowNs()) : std::string()});
        }
        const auto t0 = SteadyClock::now();
        if (batch == 1) {
          if (!queue.Enqueue(reqs.front()).ok()) failed = true;
        } else if (!queue.EnqueueBatch(reqs).ok()) {
          failed = true;
        }
        latencies[i / batch] =
            std::chrono::duration<double, std::micro>(SteadyClock::now() - t0).count();
      }
    });
  }
  for (auto& t : threads) t.join();
  if (failed) std::fprintf(stderr, "bench: some enqueues failed\n");
  return latencies;
}

// Records, for stamped jobs, the time from enqueue to the queue having recorded the success.
class CompletionObserver final : public jobs::JobObserver {
 public:
  void OnFinished(const jobs::Job& job, const Status&, jobs::JobState state) override {
    if (!record.load(std::memory_order_relaxed) || job.payload.empty() ||
        state != jobs::JobState::kSucceeded) {
      return;
    }
    const double us = (NowNs() - std::stoll(job.payload)) / 1000.0;
    std::lock_guard lock(mu);
    complete_us.push_back(us);
  }
  std::vector<double> Take() {
    std::lock_guard lock(mu);
    return std::exchange(complete_us, {});
  }
  std::atomic<bool> record{false};

 private:
  std::mutex mu;
  std::vector<double> complete_us;
};

// Deletes every key under base (the bench's own queue).
void DeleteRedisKeys(redis::RedisPool& pool, const std::string& base) {
  (void)pool.Run([&](redis::RedisConnection& c) -> Status {
    std::string cursor = "0";
    do {
      StatusOr<redis::RedisReply> r =
          c.Command({"SCAN", cursor, "MATCH", base + "*", "COUNT", "1000"});
      if (!r.ok()) return r.status();
      if (r->elements.size() != 2) return Status::Ok();
      cursor = r->elements[0].str;
      std::vector<std::string> del = {"UNLINK"};
      for (const redis::RedisReply& k : r->elements[1].elements) del.push_back(k.str);
      if (del.size() > 1) (void)c.Command(del);
    } while (cursor != "0");
    return Status::Ok();
  });
}

// Polls every millisecond: finer polling measures no better (runs last seconds) but takes CPU
// from the workers and Redis on a small machine.
void WaitForSucceeded(const jobs::WorkerPool& pool, uint64_t target) {
  while (pool.stats().succeeded < target) std::this_thread::sleep_for(std::chrono::milliseconds(1));
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
  const std::string_view backend = o.backend;
  const bool use_redis = backend.rfind("redis://", 0) == 0 || backend.rfind("rediss://", 0) == 0;
  if (!backend.empty() && !use_redis) {
    std::fprintf(stderr, "bench: --backend must be redis://... or rediss://...\n");
    return 2;
  }
  std::string dir = o.data_dir;
  const bool temp = dir.empty() && !use_redis;
  if (temp) {
    std::string tmpl = (fs::temp_directory_path() / "scriptgen-bench-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) {
      std::perror("bench: mkdtemp");
      return 1;
    }
    dir = tmpl;
  }
  if (!dir.empty()) fs::create_directories(dir);

  jobs::MemoryProgressBus memory_bus;
  jobs::ProgressBus* bus = &memory_bus;
  std::unique_ptr<sqlite::Database> db;
  std::shared_ptr<redis::RedisPool> redis_pool;
  std::unique_ptr<redis::RedisProgressBus> redis_bus;
  std::unique_ptr<jobs::JobQueue> queue;
  std::string redis_base;
  std::string description;
  if (use_redis) {
    StatusOr<redis::RedisEndpoint> ep = redis::ParseRedisUrl(backend);
    if (!ep.ok()) {
      std::fprintf(stderr, "bench: %s\n", ep.status().ToString().c_str());
      return 2;
    }
    redis::RedisPoolOptions po;
    po.size = std::max(8, std::min(o.producers, 32));
    redis_pool = std::make_shared<redis::RedisPool>(*ep, po);
    redis::RedisQueueOptions qo;
    qo.keys.name =
        "bench-" + std::to_string(::getpid()) + "-" + std::to_string(SystemClock::Get()->NowMs());
    qo.finished_ttl = std::chrono::milliseconds(0);  // delete on completion, as BullMQ's bench
    redis::RedisProgressBusOptions bo;
    bo.keys = qo.keys;
    if (o.redis_events) {
      redis_bus = std::make_unique<redis::RedisProgressBus>(redis_pool, bo);
      bus = redis_bus.get();
    }
    auto made = redis::MakeRedisQueue(redis_pool, SystemClock::Get(), bus, jobs::RetryPolicy(), qo);
    if (!made.ok()) {
      std::fprintf(stderr, "bench: %s\n", made.status().ToString().c_str());
      return 1;
    }
    redis_base = (*made)->key_base();
    queue = std::move(*made);
    description = "redis " + ep->Describe() + " (queue " + redis_base +
                  (o.redis_events ? ", job events via Redis pub/sub)" : ", job events in-process)");
  } else if (o.durable) {
    auto opened = sqlite::Database::Open((fs::path(dir) / "scriptgen.db").string());
    if (!opened.ok()) {
      std::fprintf(stderr, "bench: %s\n", opened.status().ToString().c_str());
      return 1;
    }
    db = std::move(*opened);
    queue = std::make_unique<sqlite::SqliteQueue>(db.get(), jobs::RetryPolicy(), bus);
    description = "sqlite (WAL, synchronous=FULL) dir=" + dir;
  } else {
    queue = std::make_unique<jobs::MemoryQueue>(jobs::RetryPolicy(), bus);
    description = "memory (not durable)";
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
  CompletionObserver completion;

  const int enqueue_batch = use_redis ? 1000 : 1;
  std::printf("queue bench: backend=%s jobs=%d workers=%d producers=%d prefetch=%d%s\n",
              description.c_str(), o.jobs, o.workers, o.producers, o.prefetch,
              enqueue_batch > 1 ? " enqueue-batch=1000" : "");

  // Phase 1: enqueue only.
  auto t0 = SteadyClock::now();
  std::vector<double> enq = Produce(*queue, o.jobs, o.producers, false, enqueue_batch);
  const double enqueue_s = std::chrono::duration<double>(SteadyClock::now() - t0).count();

  // Phase 2: drain the backlog.
  jobs::WorkerPoolOptions wo;
  wo.threads = o.workers;
  wo.prefetch = o.prefetch;
  wo.observer = &completion;
  jobs::WorkerPool pool(queue.get(), &registry, bus, wo);
  t0 = SteadyClock::now();
  pool.Start();
  WaitForSucceeded(pool, o.jobs);
  const double process_s = std::chrono::duration<double>(SteadyClock::now() - t0).count();

  // Phase 3: enqueue while workers run; pick-up and completion latency per job.
  const int mixed = std::max(1000, o.jobs / 4);
  record = true;
  completion.record = true;
  t0 = SteadyClock::now();
  (void)Produce(*queue, mixed, o.producers, true);
  WaitForSucceeded(pool, o.jobs + mixed);
  const double mixed_s = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  std::vector<double> mixed_complete = completion.Take();

  // Phase 4: a fixed, modest rate: the latency a lightly loaded deployment sees.
  std::vector<double> rate_complete;
  int rate_jobs = 0;
  if (o.rate > 0) {
    rate_jobs = std::max(200, o.rate * 5);
    const auto start = SteadyClock::now();
    for (int i = 0; i < rate_jobs; ++i) {
      std::this_thread::sleep_until(
          start + std::chrono::microseconds(static_cast<int64_t>(i * 1e6 / o.rate)));
      (void)queue->Enqueue({"noop", std::to_string(NowNs())});
    }
    WaitForSucceeded(pool, o.jobs + mixed + rate_jobs);
    rate_complete = completion.Take();
  }
  pool.Shutdown(std::chrono::seconds(5));

  std::printf("enqueue: %.0f jobs/s (%d jobs in %.3f s; per call p50 %.0f us, p99 %.0f us)\n",
              o.jobs / enqueue_s, o.jobs, enqueue_s, Percentile(enq, 50), Percentile(enq, 99));
  std::printf("processing: %.0f jobs/s (%d jobs claimed, run and finished in %.3f s)\n",
              o.jobs / process_s, o.jobs, process_s);
  std::printf(
      "end-to-end: %.0f jobs/s with producers and workers together; enqueue->start latency "
      "p50 %.2f ms, p95 %.2f ms, p99 %.2f ms; enqueue->complete p50 %.2f ms, p99 %.2f ms\n",
      mixed / mixed_s, Percentile(pickup_us, 50) / 1000, Percentile(pickup_us, 95) / 1000,
      Percentile(pickup_us, 99) / 1000, Percentile(mixed_complete, 50) / 1000,
      Percentile(mixed_complete, 99) / 1000);
  if (o.rate > 0) {
    std::printf(
        "at %d jobs/s (%d jobs, one producer): enqueue->complete p50 %.2f ms, p99 %.2f ms\n",
        o.rate, rate_jobs, Percentile(rate_complete, 50) / 1000,
        Percentile(rate_complete, 99) / 1000);
  }
  if (o.durable && !use_redis) {
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
  if (redis_bus) {
    redis_bus->Flush();
    redis_bus.reset();
  }
  if (redis_pool) DeleteRedisKeys(*redis_pool, redis_base);
  if (temp) fs::remove_all(dir);
  return 0;
}

}  // namespace scriptgen::app
