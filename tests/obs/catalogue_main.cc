// sg_obs_catalogue: prints the metric catalogue for tooling.
//   sg_obs_catalogue names    one family name per line (what "# TYPE" lines name)
//   sg_obs_catalogue render   a full exposition with a few children of each family populated
#include <cstdio>
#include <string_view>

#include "obs/service_metrics.h"

int main(int argc, char** argv) {
  using namespace scriptgen::obs;
  std::string_view mode = argc > 1 ? argv[1] : "names";
  ServiceMetrics m;
  if (mode == "names") {
    for (const auto& n : m.registry.Names()) std::printf("%s\n", n.c_str());
    return 0;
  }
  if (mode == "render") {
    m.worker_jobs_total.WithLabels({"ingest", "succeeded"}).Inc();
    m.http_requests_total.WithLabels({"/v1/jobs/{id}", "GET", "200"}).Inc();
    m.http_request_duration_seconds.WithLabels({"/v1/jobs/{id}", "GET"}).Observe(0.01);
    m.worker_queue_length.SetCallback([] {
      return std::vector<Sample>{{{"queued"}, 2}, {{"running"}, 1}};
    });
    std::fputs(m.registry.Render().c_str(), stdout);
    return 0;
  }
  std::fprintf(stderr, "usage: %s names|render\n", argv[0]);
  return 2;
}
