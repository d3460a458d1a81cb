// Metrics: the design in short.
//
// Hot path first. Every update is one relaxed atomic RMW on a value the caller already holds a
// reference to; there is no registry lookup, no lock and no allocation. We chose relaxed order on
// purpose: a metric is a statistic, and the only guarantee a scrape needs is that it reads whole
// values. The histogram's sum is an atomic<double> (C++20 fetch_add, a CAS loop) rather than
// fixed-point, which keeps the full range of double at the cost of a retry under contention.
// Buckets are stored non-cumulatively (one increment per observation, not one per bucket above
// it) and made cumulative at scrape time; _count is the sum of the buckets, so the +Inf bucket
// and _count always agree, which Prometheus relies on.
//
// Label children live in a std::map behind a shared_mutex. Lookups of existing children take the
// shared lock only; creating one takes the exclusive lock. std::unique_ptr keeps each child at a
// fixed address, which is what makes the references handed out stable. We cap the number of
// children per family: cardinality explosions are the classic way a metrics library takes a
// service down, and a shared "other" child degrades the data instead of the process.
//
// Rendering walks families in registration order (stable output, easy to test) under the
// registry's shared lock, and each family under its own shared lock, so a scrape never blocks an
// update and updates never block a scrape. Callback families hold their own mutex while the
// callback runs, which serialises concurrent scrapes of the same callback; that is acceptable
// because scrapes are rare (every 15 s) and it keeps the callback's captured state simple.
#include "obs/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace scriptgen::obs {
namespace {

bool IsNameStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool IsNameChar(char c) {
  return IsNameStart(c) || (c >= '0' && c <= '9');
}

void CheckBounds(const std::vector<double>& bounds) {
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i])) throw std::invalid_argument("histogram bounds must be finite");
    if (i > 0 && !(bounds[i - 1] < bounds[i])) {
      throw std::invalid_argument("histogram bounds must increase strictly");
    }
  }
}

}  // namespace

bool IsValidMetricName(std::string_view name) {
  if (name.empty() || !(IsNameStart(name[0]) || name[0] == ':')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return IsNameChar(c) || c == ':'; });
}

bool IsValidLabelName(std::string_view name) {
  if (name.empty() || !IsNameStart(name[0]) || name.starts_with("__")) return false;
  return std::all_of(name.begin(), name.end(), IsNameChar);
}

// The exposition format escapes backslash and newline in HELP text, and also the double quote in
// label values.
std::string Escape(std::string_view v, bool quotes) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quotes) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

std::string EscapeLabelValue(std::string_view v) {
  return Escape(v, /*quotes=*/true);
}

std::string EscapeHelp(std::string_view v) {
  return Escape(v, /*quotes=*/false);
}

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  if (v == std::trunc(v) && std::fabs(v) < 1e15) {  // counts and byte sizes: no exponent
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), static_cast<long long>(v));
    return std::string(buf, end);
  }
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  if (ec != std::errc()) return "NaN";
  return std::string(buf, end);
}

std::string_view MetricTypeName(MetricType t) {
  switch (t) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

std::vector<double> LinearBuckets(double start, double width, int count) {
  std::vector<double> out;
  for (int i = 0; i < count; ++i) out.push_back(start + width * i);
  return out;
}

std::vector<double> ExponentialBuckets(double start, double factor, int count) {
  std::vector<double> out;
  double v = start;
  for (int i = 0; i < count; ++i, v *= factor) out.push_back(v);
  return out;
}

// ---- Histogram ----

Histogram::Histogram(const std::vector<double>* bounds)
    : bounds_(bounds), buckets_(new std::atomic<uint64_t>[bounds->size() + 1]) {
  for (size_t i = 0; i <= bounds_->size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Observe(double v) {
  const auto& b = *bounds_;
  // First bound >= v ("le" is inclusive); NaN lands in +Inf.
  size_t i = std::isnan(v) ? b.size() : std::lower_bound(b.begin(), b.end(), v) - b.begin();
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::Snap() const {
  Snapshot s;
  s.cumulative.resize(bounds_->size() + 1);
  uint64_t acc = 0;
  for (size_t i = 0; i <= bounds_->size(); ++i) {
    acc += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative[i] = acc;
  }
  s.count = acc;
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

// ---- MetricFamily ----

MetricFamily::MetricFamily(std::string name, std::string help, MetricType type,
                           std::vector<std::string> label_names)
    : name_(std::move(name)),
      help_(std::move(help)),
      type_(type),
      label_names_(std::move(label_names)) {
  if (!IsValidMetricName(name_)) throw std::invalid_argument("invalid metric name: " + name_);
  for (const auto& l : label_names_) {
    if (!IsValidLabelName(l)) throw std::invalid_argument("invalid label name: " + l);
    if (type_ == MetricType::kHistogram && l == "le") {
      throw std::invalid_argument("label 'le' is reserved for histogram buckets");
    }
  }
  for (size_t i = 0; i < label_names_.size(); ++i) {
    for (size_t j = i + 1; j < label_names_.size(); ++j) {
      if (label_names_[i] == label_names_[j]) {
        throw std::invalid_argument("duplicate label name: " + label_names_[i]);
      }
    }
  }
}

void MetricFamily::Render(std::string& out) const {
  out += "# HELP ";
  out += name_;
  out += ' ';
  out += EscapeHelp(help_);
  out += "\n# TYPE ";
  out += name_;
  out += ' ';
  out += MetricTypeName(type_);
  out += '\n';
  RenderSamples(out);
}

void MetricFamily::AppendSeries(std::string& out, std::string_view suffix,
                                std::span<const std::string> values, std::string_view extra_name,
                                std::string_view extra_value) const {
  out += name_;
  out += suffix;
  if (values.empty() && extra_name.empty()) return;
  out += '{';
  bool first = true;
  for (size_t i = 0; i < values.size() && i < label_names_.size(); ++i) {
    if (!first) out += ',';
    first = false;
    out += label_names_[i];
    out += "=\"";
    out += EscapeLabelValue(values[i]);
    out += '"';
  }
  if (!extra_name.empty()) {
    if (!first) out += ',';
    out += extra_name;
    out += "=\"";
    out += extra_value;
    out += '"';
  }
  out += '}';
}

// ---- Family<T> ----

template <typename T>
Family<T>::Family(std::string name, std::string help, MetricType type,
                  std::vector<std::string> label_names, std::vector<double> bounds,
                  size_t max_children)
    : MetricFamily(std::move(name), std::move(help), type, std::move(label_names)),
      bounds_(std::move(bounds)),
      max_children_(std::max<size_t>(1, max_children)) {
  CheckBounds(bounds_);
}

template <typename T>
std::unique_ptr<T> Family<T>::NewChild() const {
  if constexpr (std::is_same_v<T, Histogram>) {
    return std::make_unique<Histogram>(&bounds_);
  } else {
    return std::make_unique<T>();
  }
}

template <typename T>
T& Family<T>::WithLabels(const std::vector<std::string_view>& values) {
  if (values.size() != label_names().size()) {
    throw std::invalid_argument("metric " + name() + " takes " +
                                std::to_string(label_names().size()) + " label values, got " +
                                std::to_string(values.size()));
  }
  std::vector<std::string> key(values.begin(), values.end());
  {
    std::shared_lock lock(mu_);
    if (auto it = children_.find(key); it != children_.end()) return *it->second;
  }
  std::unique_lock lock(mu_);
  if (auto it = children_.find(key); it != children_.end()) return *it->second;
  if (children_.size() >= max_children_) {
    key.assign(values.size(), "other");
    if (auto it = children_.find(key); it != children_.end()) return *it->second;
  }
  auto [it, inserted] = children_.emplace(std::move(key), NewChild());
  return *it->second;
}

template <typename T>
size_t Family<T>::size() const {
  std::shared_lock lock(mu_);
  return children_.size();
}

template <typename T>
void Family<T>::RenderSamples(std::string& out) const {
  std::shared_lock lock(mu_);
  for (const auto& [values, child] : children_) {
    if constexpr (std::is_same_v<T, Histogram>) {
      Histogram::Snapshot s = child->Snap();
      for (size_t i = 0; i < s.cumulative.size(); ++i) {
        std::string le = i < bounds_.size() ? FormatValue(bounds_[i]) : "+Inf";
        AppendSeries(out, "_bucket", values, "le", le);
        out += ' ';
        out += std::to_string(s.cumulative[i]);
        out += '\n';
      }
      AppendSeries(out, "_sum", values);
      out += ' ';
      out += FormatValue(s.sum);
      out += '\n';
      AppendSeries(out, "_count", values);
      out += ' ';
      out += std::to_string(s.count);
      out += '\n';
    } else if constexpr (std::is_same_v<T, Counter>) {
      AppendSeries(out, "", values);
      out += ' ';
      out += std::to_string(child->Value());
      out += '\n';
    } else {
      AppendSeries(out, "", values);
      out += ' ';
      out += FormatValue(child->Value());
      out += '\n';
    }
  }
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

// ---- CallbackFamily ----

CallbackFamily::CallbackFamily(std::string name, std::string help, MetricType type,
                               std::vector<std::string> label_names, Fn fn)
    : MetricFamily(std::move(name), std::move(help), type, std::move(label_names)),
      fn_(std::move(fn)) {
  if (type == MetricType::kHistogram) {
    throw std::invalid_argument("callback families are gauges or counters");
  }
}

void CallbackFamily::SetCallback(Fn fn) {
  std::lock_guard lock(mu_);
  fn_ = std::move(fn);
}

void CallbackFamily::SetCallback(std::function<double()> fn) {
  if (!fn) return SetCallback(Fn{});
  SetCallback(Fn([fn = std::move(fn)] { return std::vector<Sample>{{{}, fn()}}; }));
}

void CallbackFamily::RenderSamples(std::string& out) const {
  std::lock_guard lock(mu_);
  if (!fn_) return;
  std::vector<Sample> samples = fn_();
  // Prometheus rejects the same series twice in one family: keep the first of duplicates.
  std::sort(samples.begin(), samples.end(),
            [](const Sample& a, const Sample& b) { return a.label_values < b.label_values; });
  const std::vector<std::string>* prev = nullptr;
  for (const Sample& s : samples) {
    if (s.label_values.size() != label_names().size()) continue;
    if (prev != nullptr && *prev == s.label_values) continue;
    prev = &s.label_values;
    AppendSeries(out, "", s.label_values);
    out += ' ';
    out += FormatValue(s.value);
    out += '\n';
  }
}

// ---- Registry ----

template <typename F>
F& Registry::Insert(std::unique_ptr<F> family) {
  std::unique_lock lock(mu_);
  for (const auto& f : families_) {
    if (f->name() == family->name()) {
      throw std::invalid_argument("metric registered twice: " + family->name());
    }
  }
  F& ref = *family;
  families_.push_back(std::move(family));
  return ref;
}

CounterFamily& Registry::AddCounterFamily(std::string name, std::string help,
                                          std::vector<std::string> label_names,
                                          size_t max_children) {
  return Insert(std::make_unique<CounterFamily>(std::move(name), std::move(help),
                                                MetricType::kCounter, std::move(label_names),
                                                std::vector<double>{}, max_children));
}

GaugeFamily& Registry::AddGaugeFamily(std::string name, std::string help,
                                      std::vector<std::string> label_names, size_t max_children) {
  return Insert(std::make_unique<GaugeFamily>(std::move(name), std::move(help), MetricType::kGauge,
                                              std::move(label_names), std::vector<double>{},
                                              max_children));
}

HistogramFamily& Registry::AddHistogramFamily(std::string name, std::string help,
                                              std::vector<std::string> label_names,
                                              std::vector<double> bounds, size_t max_children) {
  return Insert(std::make_unique<HistogramFamily>(std::move(name), std::move(help),
                                                  MetricType::kHistogram, std::move(label_names),
                                                  std::move(bounds), max_children));
}

Counter& Registry::AddCounter(std::string name, std::string help) {
  return AddCounterFamily(std::move(name), std::move(help), {}).WithLabels({});
}

Gauge& Registry::AddGauge(std::string name, std::string help) {
  return AddGaugeFamily(std::move(name), std::move(help), {}).WithLabels({});
}

Histogram& Registry::AddHistogram(std::string name, std::string help, std::vector<double> bounds) {
  return AddHistogramFamily(std::move(name), std::move(help), {}, std::move(bounds)).WithLabels({});
}

CallbackFamily& Registry::AddCallbackGauge(std::string name, std::string help,
                                           std::vector<std::string> label_names,
                                           CallbackFamily::Fn fn) {
  return Insert(std::make_unique<CallbackFamily>(
      std::move(name), std::move(help), MetricType::kGauge, std::move(label_names), std::move(fn)));
}

CallbackFamily& Registry::AddCallbackCounter(std::string name, std::string help,
                                             std::vector<std::string> label_names,
                                             CallbackFamily::Fn fn) {
  return Insert(std::make_unique<CallbackFamily>(std::move(name), std::move(help),
                                                 MetricType::kCounter, std::move(label_names),
                                                 std::move(fn)));
}

std::string Registry::Render() const {
  std::string out;
  out.reserve(16 << 10);
  std::shared_lock lock(mu_);
  for (const auto& f : families_) f->Render(out);
  return out;
}

std::vector<std::string> Registry::Names() const {
  std::shared_lock lock(mu_);
  std::vector<std::string> out;
  for (const auto& f : families_) out.push_back(f->name());
  return out;
}

}  // namespace scriptgen::obs
