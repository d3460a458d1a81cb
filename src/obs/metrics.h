// Metrics: counters, gauges and histograms, grouped in labelled families, rendered by a Registry
// in the Prometheus text exposition format (version 0.0.4) for GET /metrics.
//
//   Registry reg;
//   CounterFamily& jobs = reg.AddCounterFamily("worker_jobs_total", "Jobs finished.",
//                                              {"type", "state"});
//   Counter& ok = jobs.WithLabels({"ingest", "succeeded"});  // look up once ...
//   ok.Inc();                                                  // ... then lock-free forever
//   Histogram& lat = reg.AddHistogram("step_seconds", "Step time.", {0.1, 1, 10});
//   lat.Observe(0.3);
//   reg.AddCallbackGauge("queue_length", "Jobs by state.", {"state"},
//                        [&] { return std::vector<Sample>{{{"queued"}, 3}}; });
//   std::string body = reg.Render();  // Content-Type: kExpositionContentType
//
// Cost model and thread safety (everything here is thread-safe):
//  * Counter::Inc, Gauge::Set/Add and Histogram::Observe are lock-free atomics (relaxed order:
//    a scrape sees each value eventually, never a torn one).
//  * Family::WithLabels takes a shared lock to find the child (an exclusive one the first time a
//    label combination is seen) and returns a reference that stays valid as long as the Registry
//    lives. Code on a hot path looks the child up once and keeps the reference.
//  * Label values must come from a small, bounded set (a route template, a job type, a state):
//    never ids, paths or user input. A family holds at most max_children combinations; further
//    ones all share one child whose label values are "other", so a bug cannot exhaust memory.
//  * Registration (Add*) is meant for start-up; names must be unique and valid, else it throws
//    std::invalid_argument (a programming error). References returned by Add* live as long as
//    the Registry.
//  * Callback families run their function during Render() on the scraping thread. A callback may
//    block briefly (e.g. read counts from the store) but must not call Render() itself.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace scriptgen::obs {

inline constexpr std::string_view kExpositionContentType =
    "text/plain; version=0.0.4; charset=utf-8";

// A monotonically increasing integer count, e.g. requests served.
class Counter {
 public:
  void Inc(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// A value that goes up and down, e.g. open connections.
class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double d) { value_.fetch_add(d, std::memory_order_relaxed); }  // CAS loop inside
  void Inc() { Add(1); }
  void Dec() { Add(-1); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Observations counted into fixed buckets. Bounds are the inclusive upper bounds ("le") in
// increasing order; +Inf is implicit. The sum is kept as an atomic double (CAS loop).
class Histogram {
 public:
  // `bounds` must outlive the histogram (families share one vector among their children).
  explicit Histogram(const std::vector<double>* bounds);

  void Observe(double v);

  struct Snapshot {
    std::vector<uint64_t> cumulative;  // one per bound, then +Inf (== count)
    double sum = 0;
    uint64_t count = 0;
  };
  // _count is derived from the buckets, so a snapshot is always self-consistent even while other
  // threads observe (count == cumulative.back()); sum may be a few observations ahead or behind.
  Snapshot Snap() const;
  const std::vector<double>& bounds() const { return *bounds_; }

 private:
  const std::vector<double>* bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_->size() + 1, non-cumulative
  std::atomic<double> sum_{0};
};

// Bucket helpers. ExponentialBuckets(0.001, 2, 4) = {0.001, 0.002, 0.004, 0.008}.
std::vector<double> LinearBuckets(double start, double width, int count);
std::vector<double> ExponentialBuckets(double start, double factor, int count);

enum class MetricType { kCounter, kGauge, kHistogram };
std::string_view MetricTypeName(MetricType t);

// One value of a callback family: label values in the family's label order, and the value.
struct Sample {
  std::vector<std::string> label_values;
  double value = 0;
};

// What every family has: a name, HELP text, a type and label names; and how it prints itself.
class MetricFamily {
 public:
  MetricFamily(std::string name, std::string help, MetricType type,
               std::vector<std::string> label_names);
  virtual ~MetricFamily() = default;
  MetricFamily(const MetricFamily&) = delete;
  MetricFamily& operator=(const MetricFamily&) = delete;

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  MetricType type() const { return type_; }
  const std::vector<std::string>& label_names() const { return label_names_; }

  // Appends the HELP and TYPE lines and every sample.
  void Render(std::string& out) const;

 protected:
  virtual void RenderSamples(std::string& out) const = 0;
  // `name{a="x",b="y"}` (or just `name`), with an optional extra label (histogram "le").
  void AppendSeries(std::string& out, std::string_view suffix, std::span<const std::string> values,
                    std::string_view extra_name = {}, std::string_view extra_value = {}) const;

 private:
  std::string name_;
  std::string help_;
  MetricType type_;
  std::vector<std::string> label_names_;
};

// A family of children of type T (Counter, Gauge or Histogram), one per label-value combination.
template <typename T>
class Family final : public MetricFamily {
 public:
  Family(std::string name, std::string help, MetricType type, std::vector<std::string> label_names,
         std::vector<double> bounds, size_t max_children);

  // The child for these label values (in label-name order), created on first use. Throws
  // std::invalid_argument if the number of values differs from the number of label names.
  T& WithLabels(const std::vector<std::string_view>& values);
  T& WithLabels(std::initializer_list<std::string_view> values) {
    return WithLabels(std::vector<std::string_view>(values));
  }
  size_t size() const;  // children, including the overflow child if it exists

 private:
  void RenderSamples(std::string& out) const override;
  std::unique_ptr<T> NewChild() const;

  std::vector<double> bounds_;  // histograms only
  size_t max_children_;
  mutable std::shared_mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<T>, std::less<>> children_;
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

// A family whose samples are computed by a function at scrape time (queue length read from the
// store, index size, /proc values). Without a callback it renders only its HELP and TYPE lines.
// Samples with the wrong number of label values are dropped.
class CallbackFamily final : public MetricFamily {
 public:
  using Fn = std::function<std::vector<Sample>()>;
  CallbackFamily(std::string name, std::string help, MetricType type,
                 std::vector<std::string> label_names, Fn fn);

  // Installs or replaces the function (e.g. once the store is open). Thread-safe.
  void SetCallback(Fn fn);
  // For families without labels.
  void SetCallback(std::function<double()> fn);

 private:
  void RenderSamples(std::string& out) const override;

  mutable std::mutex mu_;  // guards fn_; held while the callback runs (scrapes are serialised)
  Fn fn_;
};

// Owns families and renders them in registration order.
class Registry {
 public:
  static constexpr size_t kDefaultMaxChildren = 1000;

  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  CounterFamily& AddCounterFamily(std::string name, std::string help,
                                  std::vector<std::string> label_names,
                                  size_t max_children = kDefaultMaxChildren);
  GaugeFamily& AddGaugeFamily(std::string name, std::string help,
                              std::vector<std::string> label_names,
                              size_t max_children = kDefaultMaxChildren);
  HistogramFamily& AddHistogramFamily(std::string name, std::string help,
                                      std::vector<std::string> label_names,
                                      std::vector<double> bounds,
                                      size_t max_children = kDefaultMaxChildren);
  // Families without labels, returning their only child (always rendered, 0 until changed).
  Counter& AddCounter(std::string name, std::string help);
  Gauge& AddGauge(std::string name, std::string help);
  Histogram& AddHistogram(std::string name, std::string help, std::vector<double> bounds);

  // Gauges (or counters, for values counted elsewhere such as CPU seconds) computed at scrape
  // time. `fn` may be empty and installed later with CallbackFamily::SetCallback.
  CallbackFamily& AddCallbackGauge(std::string name, std::string help,
                                   std::vector<std::string> label_names,
                                   CallbackFamily::Fn fn = {});
  CallbackFamily& AddCallbackCounter(std::string name, std::string help,
                                     std::vector<std::string> label_names,
                                     CallbackFamily::Fn fn = {});

  // The whole exposition, every family in registration order.
  std::string Render() const;
  // Names of all families (what a "# TYPE" line names), in registration order.
  std::vector<std::string> Names() const;

 private:
  template <typename F>
  F& Insert(std::unique_ptr<F> family);

  mutable std::shared_mutex mu_;
  std::vector<std::unique_ptr<MetricFamily>> families_;
};

// Exposition-format helpers, exposed for tests.
bool IsValidMetricName(std::string_view name);
bool IsValidLabelName(std::string_view name);
std::string EscapeLabelValue(std::string_view v);  // \ -> \\, " -> \", newline -> \n
std::string EscapeHelp(std::string_view v);        // \ -> \\, newline -> \n
std::string FormatValue(double v);                 // shortest round-trip; +Inf, -Inf, NaN

}  // namespace scriptgen::obs
