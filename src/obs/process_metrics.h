// Process metrics: the standard process_* families of the Prometheus client libraries, read from
// /proc/self at scrape time (Linux only; elsewhere the families render without samples).
//
//   RegisterProcessMetrics(registry);  // once, at start-up
//
// Exports process_cpu_seconds_total, process_resident_memory_bytes,
// process_virtual_memory_bytes, process_open_fds, process_max_fds, process_start_time_seconds
// and process_threads. Each read costs a few small file reads per scrape and nothing otherwise.
#pragma once

#include "obs/metrics.h"

namespace scriptgen::obs {

void RegisterProcessMetrics(Registry& registry);

}  // namespace scriptgen::obs
