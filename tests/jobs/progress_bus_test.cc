#include <gtest/gtest.h>

#include <thread>

#include "jobs/memory_progress_bus.h"

namespace scriptgen::jobs {
namespace {

JobEvent Progress(JobId id, int pct) {
  JobEvent e;
  e.job_id = id;
  e.kind = JobEvent::Kind::kProgress;
  e.progress.percent = pct;
  return e;
}
JobEvent State(JobId id, JobState s) {
  JobEvent e;
  e.job_id = id;
  e.kind = JobEvent::Kind::kState;
  e.state = s;
  return e;
}

TEST(ProgressBusTest, SequenceNumbersArePerJobAndResumeSkipsSeenEvents) {
  MemoryProgressBus bus;
  for (int i = 1; i <= 5; ++i) bus.Publish(Progress(1, i * 10));
  bus.Publish(Progress(2, 1));
  std::vector<uint64_t> seqs;
  auto sub = bus.Subscribe(1, 3, [&](const JobEvent& e) { seqs.push_back(e.seq); });
  EXPECT_EQ(seqs, (std::vector<uint64_t>{4, 5}));
  bus.Publish(Progress(1, 60));
  bus.Publish(Progress(2, 2));  // another job: not delivered
  EXPECT_EQ(seqs, (std::vector<uint64_t>{4, 5, 6}));
}

TEST(ProgressBusTest, UnsubscribeStopsDelivery) {
  MemoryProgressBus bus;
  int n = 0;
  auto sub = bus.Subscribe(1, 0, [&](const JobEvent&) { ++n; });
  bus.Publish(Progress(1, 1));
  sub.reset();
  bus.Publish(Progress(1, 2));
  EXPECT_EQ(n, 1);
}

TEST(ProgressBusTest, HistoryIsBounded) {
  MemoryProgressBus bus({.history_per_job = 4});
  for (int i = 0; i < 100; ++i) bus.Publish(Progress(1, i));
  std::vector<uint64_t> seqs;
  auto sub = bus.Subscribe(1, 0, [&](const JobEvent& e) { seqs.push_back(e.seq); });
  EXPECT_EQ(seqs, (std::vector<uint64_t>{97, 98, 99, 100}));
}

TEST(ProgressBusTest, FinishedJobsAreForgottenAfterTheRetentionTime) {
  MemoryProgressBus bus({.retain_finished = std::chrono::milliseconds(0)});
  bus.Publish(State(1, JobState::kSucceeded));
  bus.Publish(State(2, JobState::kRunning));
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // pruning runs at most 1/s
  bus.Publish(State(3, JobState::kQueued));
  EXPECT_EQ(bus.tracked_jobs(), 2u);  // 2 (live) and 3
}

TEST(ProgressBusTest, CapDropsOldestFinishedFirst) {
  MemoryProgressBus bus({.max_jobs = 3});
  for (JobId id = 1; id <= 5; ++id) bus.Publish(State(id, JobState::kSucceeded));
  EXPECT_LE(bus.tracked_jobs(), 3u);
  std::vector<uint64_t> seqs;
  auto sub = bus.Subscribe(5, 0, [&](const JobEvent& e) { seqs.push_back(e.seq); });
  EXPECT_EQ(seqs.size(), 1u);  // the newest survived
}

TEST(ProgressBusTest, ConcurrentPublishersKeepPerJobOrder) {
  MemoryProgressBus bus;
  std::vector<uint64_t> seqs;
  auto sub = bus.Subscribe(1, 0, [&](const JobEvent& e) { seqs.push_back(e.seq); });
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) bus.Publish(Progress(1, i % 100));
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(seqs.size(), 4000u);
  for (size_t i = 0; i < seqs.size(); ++i) EXPECT_EQ(seqs[i], i + 1);
}

}  // namespace
}  // namespace scriptgen::jobs
