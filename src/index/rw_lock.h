// WriterPreferringRwLock: a shared mutex that stops admitting new readers while a writer waits.
//
// glibc's default rwlock (and so std::shared_mutex) prefers readers: under a steady stream of
// searches, Add and Remove would wait forever. With this lock a writer waits only for the
// searches already running. Meets the SharedMutex requirements, so use it with std::unique_lock
// and std::shared_lock. Not recursive: a thread must not take it twice.
#pragma once

#include <pthread.h>

namespace scriptgen::index_internal {

class WriterPreferringRwLock {
 public:
  WriterPreferringRwLock();
  ~WriterPreferringRwLock();
  WriterPreferringRwLock(const WriterPreferringRwLock&) = delete;
  WriterPreferringRwLock& operator=(const WriterPreferringRwLock&) = delete;

  void lock();
  void unlock();
  void lock_shared();
  void unlock_shared();

 private:
  pthread_rwlock_t lock_;
};

}  // namespace scriptgen::index_internal
