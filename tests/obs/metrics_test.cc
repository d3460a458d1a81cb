#include "obs/metrics.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <thread>
#include <vector>

namespace scriptgen::obs {
namespace {

TEST(MetricsTest, ExpositionOfSmallRegistryIsExact) {
  Registry r;
  CounterFamily& jobs = r.AddCounterFamily("jobs_total", "Jobs done.", {"type", "state"});
  Gauge& open = r.AddGauge("connections_open", "Open connections.");
  Histogram& lat = r.AddHistogram("latency_seconds", "Latency.", {0.1, 1});
  r.AddCounterFamily("empty_total", "No children yet.", {"kind"});

  jobs.WithLabels({"ingest", "succeeded"}).Inc(3);
  jobs.WithLabels({"ingest", "dead"}).Inc();
  open.Set(2.5);
  lat.Observe(0.05);
  lat.Observe(0.1);  // le is inclusive
  lat.Observe(0.5);
  lat.Observe(7);

  EXPECT_EQ(r.Render(),
            "# HELP jobs_total Jobs done.\n"
            "# TYPE jobs_total counter\n"
            "jobs_total{type=\"ingest\",state=\"dead\"} 1\n"
            "jobs_total{type=\"ingest\",state=\"succeeded\"} 3\n"
            "# HELP connections_open Open connections.\n"
            "# TYPE connections_open gauge\n"
            "connections_open 2.5\n"
            "# HELP latency_seconds Latency.\n"
            "# TYPE latency_seconds histogram\n"
            "latency_seconds_bucket{le=\"0.1\"} 2\n"
            "latency_seconds_bucket{le=\"1\"} 3\n"
            "latency_seconds_bucket{le=\"+Inf\"} 4\n"
            "latency_seconds_sum 7.65\n"
            "latency_seconds_count 4\n"
            "# HELP empty_total No children yet.\n"
            "# TYPE empty_total counter\n");
}

TEST(MetricsTest, LabelValuesAndHelpAreEscaped) {
  Registry r;
  r.AddCounterFamily("x_total", "Back\\slash and\nnewline.", {"v"})
      .WithLabels({"a\\b\"c\nd"})
      .Inc();
  EXPECT_EQ(r.Render(),
            "# HELP x_total Back\\\\slash and\\nnewline.\n"
            "# TYPE x_total counter\n"
            "x_total{v=\"a\\\\b\\\"c\\nd\"} 1\n");
  EXPECT_EQ(EscapeLabelValue("plain"), "plain");
  EXPECT_EQ(EscapeHelp("a\"b"), "a\"b");  // quotes are not escaped in HELP
}

TEST(MetricsTest, HistogramWithLabelsPutsLeLast) {
  Registry r;
  auto& h = r.AddHistogramFamily("step_seconds", "Steps.", {"step"}, {1, 2});
  h.WithLabels({"embed"}).Observe(1.5);
  EXPECT_EQ(r.Render(),
            "# HELP step_seconds Steps.\n"
            "# TYPE step_seconds histogram\n"
            "step_seconds_bucket{step=\"embed\",le=\"1\"} 0\n"
            "step_seconds_bucket{step=\"embed\",le=\"2\"} 1\n"
            "step_seconds_bucket{step=\"embed\",le=\"+Inf\"} 1\n"
            "step_seconds_sum{step=\"embed\"} 1.5\n"
            "step_seconds_count{step=\"embed\"} 1\n");
}

TEST(MetricsTest, HistogramBucketsAreCumulative) {
  std::vector<double> bounds = {1, 2, 4};
  Histogram h(&bounds);
  for (double v : {0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 100.0}) h.Observe(v);
  Histogram::Snapshot s = h.Snap();
  EXPECT_EQ(s.cumulative, (std::vector<uint64_t>{2, 4, 6, 8}));
  EXPECT_EQ(s.count, 8u);
  EXPECT_DOUBLE_EQ(s.sum, 117.0);
}

TEST(MetricsTest, WithLabelsReturnsStableReferences) {
  Registry r;
  auto& f = r.AddCounterFamily("c_total", "C.", {"a"});
  Counter& first = f.WithLabels({"x"});
  for (int i = 0; i < 100; ++i) f.WithLabels({std::to_string(i)});
  EXPECT_EQ(&first, &f.WithLabels({"x"}));
}

TEST(MetricsTest, WrongNumberOfLabelValuesThrows) {
  Registry r;
  auto& f = r.AddCounterFamily("c_total", "C.", {"a", "b"});
  EXPECT_THROW(f.WithLabels({"only-one"}), std::invalid_argument);
}

TEST(MetricsTest, InvalidRegistrationsThrow) {
  Registry r;
  r.AddCounter("ok_total", "Fine.");
  EXPECT_THROW(r.AddCounter("ok_total", "Twice."), std::invalid_argument);
  EXPECT_THROW(r.AddCounter("9starts_with_digit", "Bad."), std::invalid_argument);
  EXPECT_THROW(r.AddCounterFamily("bad_label_total", "Bad.", {"__reserved"}),
               std::invalid_argument);
  EXPECT_THROW(r.AddHistogramFamily("h_seconds", "Bad.", {"le"}, {1}), std::invalid_argument);
  EXPECT_THROW(r.AddHistogram("unsorted_seconds", "Bad.", {2, 1}), std::invalid_argument);
  EXPECT_THROW(r.AddCounterFamily("dup_total", "Bad.", {"a", "a"}), std::invalid_argument);
}

TEST(MetricsTest, CardinalityIsCappedWithAnOtherChild) {
  Registry r;
  auto& f = r.AddCounterFamily("capped_total", "Capped.", {"k"}, 3);
  for (int i = 0; i < 10; ++i) f.WithLabels({std::to_string(100 + i)}).Inc();
  EXPECT_EQ(f.size(), 4u);  // three real children plus "other"
  EXPECT_EQ(f.WithLabels({"other"}).Value(), 7u);
}

TEST(MetricsTest, CallbackFamiliesRenderAtScrapeTime) {
  Registry r;
  int calls = 0;
  auto& q = r.AddCallbackGauge("queue_length", "Queue.", {"state"}, [&] {
    ++calls;
    return std::vector<Sample>{{{"running"}, 1}, {{"queued"}, 4}, {{"queued"}, 9}, {{}, 5}};
  });
  auto& idle = r.AddCallbackGauge("later_bytes", "Set later.", {});
  EXPECT_EQ(r.Render(),
            "# HELP queue_length Queue.\n"
            "# TYPE queue_length gauge\n"
            "queue_length{state=\"queued\"} 4\n"  // sorted; duplicate and bad arity dropped
            "queue_length{state=\"running\"} 1\n"
            "# HELP later_bytes Set later.\n"
            "# TYPE later_bytes gauge\n");
  EXPECT_EQ(calls, 1);
  idle.SetCallback(std::function<double()>([] { return 1e9; }));
  q.SetCallback(CallbackFamily::Fn{});
  EXPECT_EQ(r.Render(),
            "# HELP queue_length Queue.\n"
            "# TYPE queue_length gauge\n"
            "# HELP later_bytes Set later.\n"
            "# TYPE later_bytes gauge\n"
            "later_bytes 1000000000\n");
}

TEST(MetricsTest, FormatValue) {
  EXPECT_EQ(FormatValue(0), "0");
  EXPECT_EQ(FormatValue(0.1), "0.1");
  EXPECT_EQ(FormatValue(-2.5), "-2.5");
  EXPECT_EQ(FormatValue(1.0 / 0.0), "+Inf");
  EXPECT_EQ(FormatValue(-1.0 / 0.0), "-Inf");
  EXPECT_EQ(FormatValue(0.0 / 0.0), "NaN");
}

TEST(MetricsTest, BucketHelpers) {
  EXPECT_EQ(LinearBuckets(1, 2, 3), (std::vector<double>{1, 3, 5}));
  EXPECT_EQ(ExponentialBuckets(1, 10, 3), (std::vector<double>{1, 10, 100}));
}

TEST(MetricsTest, GaugeArithmetic) {
  Gauge g;
  g.Inc();
  g.Inc();
  g.Dec();
  g.Add(0.5);
  EXPECT_DOUBLE_EQ(g.Value(), 1.5);
  g.Set(-3);
  EXPECT_DOUBLE_EQ(g.Value(), -3);
}

// Runs under TSan too: updates from many threads, child creation races and scrapes in parallel.
TEST(MetricsConcurrencyTest, ConcurrentUpdatesSumCorrectly) {
  Registry r;
  auto& counters = r.AddCounterFamily("ops_total", "Ops.", {"worker"});
  auto& hist = r.AddHistogramFamily("op_seconds", "Op time.", {"kind"}, {0.5, 1.5});
  Gauge& gauge = r.AddGauge("inflight", "In flight.");
  constexpr int kThreads = 8;
  constexpr int kIters = 20000;
  std::atomic<bool> stop{false};
  std::thread scraper([&] {
    while (!stop.load()) (void)r.Render();
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Counter& mine = counters.WithLabels({std::to_string(t % 4)});  // shared by two threads
      for (int i = 0; i < kIters; ++i) {
        mine.Inc();
        counters.WithLabels({"all"}).Inc();  // the lookup path under contention
        hist.WithLabels({"k"}).Observe(i % 2 == 0 ? 0.25 : 1.0);
        gauge.Inc();
        gauge.Dec();
      }
    });
  }
  for (auto& th : threads) th.join();
  stop = true;
  scraper.join();

  uint64_t per_worker = 0;
  for (int w = 0; w < 4; ++w) per_worker += counters.WithLabels({std::to_string(w)}).Value();
  EXPECT_EQ(per_worker, uint64_t{kThreads} * kIters);
  EXPECT_EQ(counters.WithLabels({"all"}).Value(), uint64_t{kThreads} * kIters);
  Histogram::Snapshot s = hist.WithLabels({"k"}).Snap();
  EXPECT_EQ(s.count, uint64_t{kThreads} * kIters);
  EXPECT_EQ(s.cumulative[0], uint64_t{kThreads} * kIters / 2);
  EXPECT_DOUBLE_EQ(s.sum, kThreads * (kIters / 2) * 1.25);
  EXPECT_DOUBLE_EQ(gauge.Value(), 0);
}

}  // namespace
}  // namespace scriptgen::obs
