// Process metrics from procfs.
//
// We parse /proc/self/stat ourselves instead of linking a library: the fields we need (utime,
// stime, num_threads, starttime, vsize, rss) sit at fixed positions after the command name, which
// is the one tricky part (it may contain spaces and parentheses, so we split after the *last*
// ')'). The start time is boot time (btime in /proc/stat) plus starttime in clock ticks. Each
// family reads what it needs independently: a scrape reads /proc/self/stat a few times, which is
// cheaper than the synchronisation a shared snapshot would need.
#include "obs/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace scriptgen::obs {
namespace {

// Fields of /proc/self/stat after the command name; index 0 is field 3 ("state").
std::optional<std::vector<std::string>> ReadStatFields() {
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  size_t close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(line.substr(close + 1));
  std::vector<std::string> fields;
  for (std::string f; rest >> f;) fields.push_back(f);
  if (fields.size() < 22) return std::nullopt;
  return fields;
}

double Field(const std::vector<std::string>& f, int stat_field_number) {
  return std::stod(f.at(static_cast<size_t>(stat_field_number - 3)));
}

std::vector<Sample> One(std::optional<double> v) {
  if (!v) return {};
  return {Sample{{}, *v}};
}

std::optional<double> CpuSeconds() {
  auto f = ReadStatFields();
  if (!f) return std::nullopt;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  return (Field(*f, 14) + Field(*f, 15)) / ticks;  // utime + stime
}

std::optional<double> ResidentBytes() {
  auto f = ReadStatFields();
  if (!f) return std::nullopt;
  return Field(*f, 24) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

std::optional<double> VirtualBytes() {
  auto f = ReadStatFields();
  if (!f) return std::nullopt;
  return Field(*f, 23);
}

std::optional<double> Threads() {
  auto f = ReadStatFields();
  if (!f) return std::nullopt;
  return Field(*f, 20);
}

std::optional<double> StartTimeSeconds() {
  auto f = ReadStatFields();
  if (!f) return std::nullopt;
  std::ifstream in("/proc/stat");
  double btime = -1;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("btime ", 0) == 0) {
      btime = std::stod(line.substr(6));
      break;
    }
  }
  if (btime < 0) return std::nullopt;
  return btime + Field(*f, 22) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::optional<double> OpenFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return std::nullopt;
  double n = 0;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(dir);
  return n - 1;  // the descriptor opendir itself holds
}

std::optional<double> MaxFds() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return std::nullopt;
  if (rl.rlim_cur == RLIM_INFINITY) return std::nullopt;
  return static_cast<double>(rl.rlim_cur);
}

// std::stod throws on a garbled file; a scrape must not.
template <typename F>
CallbackFamily::Fn Safe(F f) {
  return [f] {
    try {
      return One(f());
    } catch (...) {
      return std::vector<Sample>{};
    }
  };
}

}  // namespace

void RegisterProcessMetrics(Registry& r) {
  r.AddCallbackCounter("process_cpu_seconds_total",
                       "Total user and system CPU time spent in seconds.", {}, Safe(CpuSeconds));
  r.AddCallbackGauge("process_resident_memory_bytes", "Resident memory size in bytes.", {},
                     Safe(ResidentBytes));
  r.AddCallbackGauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", {},
                     Safe(VirtualBytes));
  r.AddCallbackGauge("process_open_fds", "Number of open file descriptors.", {}, Safe(OpenFds));
  r.AddCallbackGauge("process_max_fds", "Maximum number of open file descriptors.", {},
                     Safe(MaxFds));
  r.AddCallbackGauge("process_start_time_seconds",
                     "Start time of the process since unix epoch in seconds.", {},
                     Safe(StartTimeSeconds));
  r.AddCallbackGauge("process_threads", "Number of OS threads in the process.", {}, Safe(Threads));
}

}  // namespace scriptgen::obs
