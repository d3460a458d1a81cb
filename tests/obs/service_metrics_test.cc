#include "obs/service_metrics.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

namespace scriptgen::obs {
namespace {

std::set<std::string> TypeNames(const std::string& exposition) {
  std::set<std::string> out;
  std::istringstream in(exposition);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# TYPE ", 0) != 0) continue;
    std::istringstream words(line.substr(7));
    std::string name;
    words >> name;
    out.insert(name);
  }
  return out;
}

void Populate(ServiceMetrics& m) {
  m.worker_jobs_total.WithLabels({"ingest", "succeeded"}).Inc();
  m.worker_jobs_total.WithLabels({"ingest", "dead"}).Inc();
  m.worker_processing_duration_seconds.WithLabels({"ingest", "embed"}).Observe(0.2);
  m.job_end_to_end_duration_seconds.WithLabels({"ingest"}).Observe(3);
  m.http_requests_total.WithLabels({"/v1/documents", "POST", "202"}).Inc();
  m.http_request_duration_seconds.WithLabels({"/v1/documents", "POST"}).Observe(0.03);
  m.embedding_api_calls_total.WithLabels({"hash", "ok"}).Inc();
  m.embedding_api_duration_seconds.WithLabels({"hash"}).Observe(0.001);
  m.embedding_batch_efficiency.Observe(0.75);
  m.dlq_jobs_total.WithLabels({"unsupported_type"}).Inc();
  m.pii_scrubbing_operations_total.WithLabels({"email"}).Inc(2);
  m.file_validation_results_total.WithLabels({"rejected_type", "application/x-executable"}).Inc();
  m.retention_deleted_total.WithLabels({"user_content"}).Inc();
  m.erase_requests_total.WithLabels({"completed"}).Inc();
  m.audit_entries_total.Inc();
  m.job_cancellation_requests_total.Inc();
  m.sse_connections_open.Inc();
  m.worker_queue_length.SetCallback([] {
    return std::vector<Sample>{{{"queued"}, 3}, {{"running"}, 1}, {{"dead"}, 1}};
  });
  m.vector_index_size.SetCallback([] { return std::vector<Sample>{{{"v1"}, 1234}}; });
  m.store_size_bytes.SetCallback([] {
    return std::vector<Sample>{{{"database"}, 4096}, {{"blobs"}, 8192}};
  });
}

TEST(ServiceMetricsTest, CatalogueHasTheIssueFamilies) {
  ServiceMetrics m;
  std::set<std::string> names = TypeNames(m.registry.Render());
  for (const char* want : {"worker_jobs_total",
                           "worker_queue_length",
                           "worker_processing_duration_seconds",
                           "embedding_api_calls_total",
                           "redis_connection_pool_size",
                           "dlq_jobs_total",
                           "pii_scrubbing_operations_total",
                           "file_validation_results_total",
                           "job_cancellation_requests_total",
                           "embedding_batch_efficiency",
                           "http_requests_total",
                           "http_request_duration_seconds",
                           "sse_connections_open",
                           "sse_disconnects_total",
                           "vector_index_size",
                           "store_size_bytes",
                           "retention_deleted_total",
                           "erase_requests_total",
                           "audit_entries_total",
                           "scriptgen_build_info",
                           "process_resident_memory_bytes",
                           "process_cpu_seconds_total",
                           "process_open_fds",
                           "process_start_time_seconds"}) {
    EXPECT_TRUE(names.count(want)) << want;
  }
  EXPECT_EQ(names.size(), m.registry.Names().size());
}

TEST(ServiceMetricsTest, BuildInfoAndProcessMetricsHaveValues) {
  ServiceMetrics m({.version = "1.2.3"});
  std::string text = m.registry.Render();
  EXPECT_NE(text.find("scriptgen_build_info{version=\"1.2.3\"} 1\n"), std::string::npos);
#ifdef __linux__
  for (const char* series : {"\nprocess_resident_memory_bytes ", "\nprocess_cpu_seconds_total ",
                             "\nprocess_open_fds ", "\nprocess_start_time_seconds "}) {
    EXPECT_NE(text.find(series), std::string::npos) << series;
  }
#endif
}

TEST(ServiceMetricsTest, NoProcessMetricsWhenDisabled) {
  ServiceMetrics m({.process_metrics = false});
  EXPECT_EQ(m.registry.Render().find("process_"), std::string::npos);
}

TEST(ServiceMetricsTest, PromtoolAcceptsTheFullRendering) {
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "promtool not on PATH";
  }
  ServiceMetrics m;
  Populate(m);
  char path[] = "/tmp/sg_obs_metrics_XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  {
    std::ofstream out(path);
    out << m.registry.Render();
  }
  std::string out_path = std::string(path) + ".out";
  std::string cmd = "promtool check metrics < " + std::string(path) + " > " + out_path + " 2>&1";
  int rc = std::system(cmd.c_str());
  std::ifstream result(out_path);
  std::stringstream problems;
  problems << result.rdbuf();
  std::remove(path);
  std::remove(out_path.c_str());
  EXPECT_EQ(rc, 0) << problems.str();
  EXPECT_EQ(problems.str(), "") << "promtool lint findings";
}

}  // namespace
}  // namespace scriptgen::obs
