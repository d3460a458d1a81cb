// ServiceMetrics: the catalogue of every metric scriptgen exports (docs/monitoring.md explains
// each one and the dashboards and alerts that use it). One instance per process, created at
// start-up and shared by reference with the HTTP server, the worker pool and the pipeline.
//
//   ServiceMetrics m;                                        // registers everything
//   m.worker_jobs_total.WithLabels({"ingest", "succeeded"}).Inc();
//   m.http_request_duration_seconds.WithLabels({"/v1/jobs/{id}", "GET"}).Observe(0.004);
//   m.worker_queue_length.SetCallback([&] { ... read Counts() ... });  // scrape-time values
//   response.body = m.registry.Render();  // GET /metrics, Content-Type kExpositionContentType
//
// Label values must be bounded: route *templates* (never raw paths), job types, state and class
// names, provider names, MIME types from the detector's closed list. Never ids or user input.
// Family references are stable for the lifetime of the object; so are children returned by
// WithLabels, which hot paths should look up once and keep (see metrics.h).
//
// Families that have no children yet still render their HELP and TYPE lines, so every name in
// the catalogue is visible on /metrics from the first scrape.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "obs/metrics.h"

namespace scriptgen::obs {

// The project version compiled into sg_obs (CMake PROJECT_VERSION).
std::string_view BuildVersion();

struct ServiceMetricsOptions {
  std::string version = std::string(BuildVersion());
  bool process_metrics = true;  // process_* from /proc/self
};

struct ServiceMetrics {
  explicit ServiceMetrics(ServiceMetricsOptions options = {});
  ServiceMetrics(const ServiceMetrics&) = delete;
  ServiceMetrics& operator=(const ServiceMetrics&) = delete;

  Registry registry;  // declared first: every member below lives in it

  // ---- Build ----
  GaugeFamily& build_info;  // scriptgen_build_info{version} = 1

  // ---- HTTP ----
  CounterFamily& http_requests_total;              // {route, method, status}
  HistogramFamily& http_request_duration_seconds;  // {route, method}
  Gauge& http_requests_in_flight;
  Gauge& sse_connections_open;
  Counter& sse_disconnects_total;

  // ---- Jobs and workers ----
  CounterFamily& worker_jobs_total;                     // {type, state}: transitions into state
  CallbackFamily& worker_queue_length;                  // {state}: callback over queue Counts()
  CallbackFamily& worker_queue_oldest_age_seconds;      // {}: callback, age of oldest queued job
  HistogramFamily& worker_processing_duration_seconds;  // {type, step}; step "job" = whole run
  HistogramFamily& job_end_to_end_duration_seconds;     // {type}: enqueue -> succeeded
  Gauge& worker_threads;
  Gauge& worker_threads_busy;
  Counter& worker_lease_expirations_total;
  Counter& job_cancellation_requests_total;
  CounterFamily& dlq_jobs_total;                  // {error_class}
  Counter& upload_backpressure_rejections_total;  // uploads refused: queue over its depth limit

  // ---- Embedding ----
  CounterFamily& embedding_api_calls_total;         // {provider, outcome}
  HistogramFamily& embedding_api_duration_seconds;  // {provider}
  Histogram& embedding_batch_efficiency;            // filled / capacity of each batch, 0..1
  CounterFamily& embedding_cache_lookups_total;     // {result}: hit (no provider call) | miss
  CounterFamily& embedding_reindexed_chunks_total;  // {embed_version}: vectors a reindex wrote
  Gauge& redis_connection_pool_size;                // Redis backend only

  // ---- Security and privacy ----
  CounterFamily& pii_scrubbing_operations_total;  // {kind}
  CounterFamily& file_validation_results_total;   // {result, mime}

  // ---- Index and store ----
  CallbackFamily& vector_index_size;  // {embed_version}: callback, vectors per version
  CallbackFamily& store_size_bytes;   // {component}: callback, "database", "blobs", ...

  // ---- Data governance ----
  CounterFamily& retention_deleted_total;           // {data_class}
  CounterFamily& retention_runs_total;              // {outcome}
  Gauge& retention_last_success_timestamp_seconds;  // unix seconds of the last clean sweep
  CallbackFamily& retention_overdue_items;          // {data_class}: callback
  CounterFamily& erase_requests_total;              // {outcome}
  Counter& audit_entries_total;
};

// Bucket layouts used by the catalogue, exposed for tests and docs.
std::vector<double> HttpLatencyBuckets();      // 1 ms .. 10 s
std::vector<double> StepDurationBuckets();     // 1 ms .. 10 min
std::vector<double> EfficiencyBuckets();       // 0.1 .. 1.0
std::vector<double> ProviderLatencyBuckets();  // 5 ms .. 60 s

}  // namespace scriptgen::obs
