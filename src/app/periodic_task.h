// PeriodicTask: runs a function on its own thread every `period` (first after `first_delay`) until
// destroyed. For the server's daily upkeep; not a scheduler: one function, fixed period, and a
// run in progress delays destruction until it returns.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace scriptgen::app {

class PeriodicTask {
 public:
  PeriodicTask(std::chrono::milliseconds period, std::function<void()> fn,
               std::chrono::milliseconds first_delay = std::chrono::minutes(1))
      : thread_([this, period, first_delay, fn = std::move(fn)] {
          std::unique_lock lock(mu_);
          auto next = std::chrono::steady_clock::now() + first_delay;
          while (!cv_.wait_until(lock, next, [this] { return stop_; })) {
            lock.unlock();
            fn();
            lock.lock();
            next = std::chrono::steady_clock::now() + period;
          }
        }) {}

  ~PeriodicTask() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;  // last: starts after the members it uses exist
};

}  // namespace scriptgen::app
