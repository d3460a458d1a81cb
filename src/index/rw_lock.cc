// A thin wrapper over pthread_rwlock_t with glibc's writer-preferring kind rather than a
// mutex + condition variable implementation: the kernel-assisted rwlock is cheaper for the
// common all-readers case, and ThreadSanitizer models it natively. On a C library without the
// glibc extension it falls back to the default policy.
#include "index/rw_lock.h"

#include <cstdlib>

namespace scriptgen::index_internal {

WriterPreferringRwLock::WriterPreferringRwLock() {
  pthread_rwlockattr_t attr;
  pthread_rwlockattr_init(&attr);
#ifdef __GLIBC__
  pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
#endif
  if (pthread_rwlock_init(&lock_, &attr) != 0) std::abort();
  pthread_rwlockattr_destroy(&attr);
}

WriterPreferringRwLock::~WriterPreferringRwLock() {
  pthread_rwlock_destroy(&lock_);
}

void WriterPreferringRwLock::lock() {
  if (pthread_rwlock_wrlock(&lock_) != 0) std::abort();
}

void WriterPreferringRwLock::unlock() {
  pthread_rwlock_unlock(&lock_);
}

void WriterPreferringRwLock::lock_shared() {
  // EAGAIN (too many readers) cannot happen below 2^30 concurrent readers.
  if (pthread_rwlock_rdlock(&lock_) != 0) std::abort();
}

void WriterPreferringRwLock::unlock_shared() {
  pthread_rwlock_unlock(&lock_);
}

}  // namespace scriptgen::index_internal
