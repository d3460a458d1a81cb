// clock_shim: an LD_PRELOAD library that makes the wall clock of one process jump on demand, for
// the chaos suite's clock-jump scenario (libfaketime is not installed on the build machines and
// the system clock is shared, so it must never be set for real).
//
//   SG_CHAOS_CLOCK_FILE=/tmp/x/offset LD_PRELOAD=libsg_chaos_clock_shim.so scriptgen serve ...
//
// The file holds one little-endian int64: nanoseconds added to every wall-clock reading
// (clock_gettime(CLOCK_REALTIME*), gettimeofday, time). The test rewrites those 8 bytes in place;
// the shim maps the file MAP_SHARED once, so a new offset is seen by every thread at its next
// reading without any system call. Monotonic clocks are left alone, as on a real machine where NTP
// steps the wall clock and CLOCK_MONOTONIC keeps counting: the point is to find code that measures
// durations or leases with the wall clock.
//
// Design notes: the real functions come from dlsym(RTLD_NEXT) (libc or, under ASan, the
// sanitizer's interceptors). The mapping is created lazily by whichever thread reads the clock
// first; two threads racing may both map the file, and the loser's mapping is simply leaked,
// which is cheaper and simpler than a lock on the hot path. Without the variable, or if the file
// cannot be mapped, the offset is 0 and the shim is transparent.
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>

namespace {

using ClockGettimeFn = int (*)(clockid_t, struct timespec*);

// Points at the shared int64 offset, or at kNoOffset when there is no file.
const std::int64_t kNoOffset = 0;
std::atomic<const std::int64_t*> offset_ptr{nullptr};

const std::int64_t* MapOffset() {
  const char* path = std::getenv("SG_CHAOS_CLOCK_FILE");
  if (path == nullptr || *path == '\0') return &kNoOffset;
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return &kNoOffset;
  void* p = ::mmap(nullptr, sizeof(std::int64_t), PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (p == MAP_FAILED) return &kNoOffset;
  return static_cast<const std::int64_t*>(p);
}

std::int64_t OffsetNanos() {
  const std::int64_t* p = offset_ptr.load(std::memory_order_acquire);
  if (p == nullptr) {
    p = MapOffset();
    offset_ptr.store(p, std::memory_order_release);
  }
  return __atomic_load_n(p, __ATOMIC_RELAXED);
}

ClockGettimeFn RealClockGettime() {
  static std::atomic<ClockGettimeFn> real{nullptr};
  ClockGettimeFn fn = real.load(std::memory_order_acquire);
  if (fn == nullptr) {
    fn = reinterpret_cast<ClockGettimeFn>(::dlsym(RTLD_NEXT, "clock_gettime"));
    real.store(fn, std::memory_order_release);
  }
  return fn;
}

bool IsWallClock(clockid_t id) {
  return id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE;
}

void AddNanos(struct timespec* ts, std::int64_t delta) {
  constexpr std::int64_t kBillion = 1000000000;
  std::int64_t total = static_cast<std::int64_t>(ts->tv_nsec) + delta % kBillion;
  std::int64_t secs = static_cast<std::int64_t>(ts->tv_sec) + delta / kBillion;
  if (total < 0) {
    total += kBillion;
    secs -= 1;
  } else if (total >= kBillion) {
    total -= kBillion;
    secs += 1;
  }
  ts->tv_sec = static_cast<time_t>(secs);
  ts->tv_nsec = static_cast<long>(total);
}

}  // namespace

extern "C" {

int clock_gettime(clockid_t id, struct timespec* ts) {
  ClockGettimeFn real = RealClockGettime();
  if (real == nullptr) return -1;
  const int rc = real(id, ts);
  if (rc == 0 && IsWallClock(id)) AddNanos(ts, OffsetNanos());
  return rc;
}

// glibc declares the second parameter as void* (timezone is obsolete).
int gettimeofday(struct timeval* tv, void* /*tz*/) {
  struct timespec ts;
  if (clock_gettime(CLOCK_REALTIME, &ts) != 0) return -1;
  tv->tv_sec = ts.tv_sec;  // libc declares tv non-null
  tv->tv_usec = static_cast<suseconds_t>(ts.tv_nsec / 1000);
  return 0;
}

time_t time(time_t* out) {
  struct timespec ts;
  if (clock_gettime(CLOCK_REALTIME, &ts) != 0) return static_cast<time_t>(-1);
  if (out != nullptr) *out = ts.tv_sec;
  return ts.tv_sec;
}

}  // extern "C"
