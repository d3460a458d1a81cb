// A real worker process for the crash test: it is started, SIGKILLed mid-work, and restarted on
// the same data directory. Its one job type runs three steps, each recording its effect in the
// `effects` table in the same transaction as the step mark, so the test can count effects.
//
//   crash_worker enqueue DIR N      enqueue N jobs, then exit
//   crash_worker work DIR LEASE_MS  work until no job is left unfinished, then exit 0
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "backends/sqlite/database.h"
#include "backends/sqlite/sqlite_queue.h"
#include "backends/sqlite/sqlite_step_store.h"
#include "jobs/memory_progress_bus.h"
#include "jobs/step_runner.h"
#include "jobs/worker_pool.h"

using namespace scriptgen;

namespace {

int Fail(const Status& s) {
  std::fprintf(stderr, "crash_worker: %s\n", s.ToString().c_str());
  return 2;
}

jobs::StepRunner::Work RecordEffect(std::string key, std::string step) {
  return [key, step]() -> StatusOr<jobs::StepStore::Effect> {
    std::this_thread::sleep_for(std::chrono::milliseconds(3));  // "work": a window to be killed in
    return jobs::StepStore::Effect([key, step](store::WriteTx& wtx) -> Status {
      auto& tx = sqlite::Tx::From(wtx);
      auto st = tx.Prepare("INSERT INTO effects(job_key, step) VALUES (?, ?)");
      if (!st.ok()) return st.status();
      (*st)->Bind(1, key).Bind(2, step);
      return (*st)->Run();
    });
  };
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: crash_worker enqueue DIR N | work DIR LEASE_MS\n");
    return 64;
  }
  const std::string mode = argv[1], dir = argv[2];
  const int number = std::atoi(argv[3]);
  auto db = sqlite::Database::Open(dir + "/scriptgen.db");
  if (!db.ok()) return Fail(db.status());
  Status s = (*db)->writer().Run([](sqlite::Tx& tx) {
    return tx.conn().Exec("CREATE TABLE IF NOT EXISTS effects(job_key TEXT, step TEXT)");
  });
  if (!s.ok()) return Fail(s);
  jobs::MemoryProgressBus bus;
  sqlite::SqliteQueue queue(db->get(), jobs::RetryPolicy(), &bus);

  if (mode == "enqueue") {
    std::vector<jobs::EnqueueRequest> reqs;
    for (int i = 0; i < number; ++i) reqs.push_back({"three_steps", std::to_string(i), ""});
    auto r = queue.EnqueueBatch(reqs);
    return r.ok() ? 0 : Fail(r.status());
  }
  if (mode != "work") return 64;

  sqlite::SqliteStepStore steps(db->get());
  jobs::HandlerRegistry registry;
  (void)registry.Register("three_steps", [&](jobs::JobContext& ctx) -> Status {
    const std::string key = "job:" + ctx.job().payload;
    jobs::StepRunner runner(ctx, steps, key, {"s1", "s2", "s3"});
    for (const char* step : {"s1", "s2", "s3"}) {
      SG_RETURN_IF_ERROR(runner.Run(step, RecordEffect(key, step)));
    }
    return Status::Ok();
  });
  jobs::WorkerPoolOptions o;
  o.threads = 4;
  o.prefetch = 8;
  o.lease = std::chrono::milliseconds(number);
  o.reap_interval = std::chrono::milliseconds(100);
  o.poll_interval = std::chrono::milliseconds(50);
  jobs::WorkerPool pool(&queue, &registry, &bus, o);
  pool.Start();
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    auto counts = queue.Counts();
    if (!counts.ok()) continue;
    const auto& c = counts->by_state;
    if (c[0] + c[1] + c[2] == 0) break;
  }
  pool.Shutdown(std::chrono::seconds(5));
  std::printf("done: %llu succeeded in this process\n",
              static_cast<unsigned long long>(pool.stats().succeeded));
  return 0;
}
