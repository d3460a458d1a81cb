// LeaseOwners: which lease owners (worker ids) of a queue shared by the processes of one host are
// still alive, so that the leases of a process that died (SIGKILL, OOM, power cut of a container)
// are taken back at once instead of after the lease runs out.
//
// Each worker id that claims jobs holds an exclusive flock(2) on `<dir>/<name>.lock` (the file
// holds the id) for as long as its process lives; the kernel drops the lock when the process
// dies, however it dies. A lock file that can be locked by someone else therefore belongs to a
// dead process: its jobs can be reaped now. This is proof of death, not a guess from a timeout or
// a pid (pids are reused and differ between pid namespaces), so it is safe with any number of
// processes sharing the directory, including several `serve`/`worker` processes on one database.
// Owners that never registered (older versions, other hosts) are still reaped by lease expiry.
//
//   LeaseOwners owners(data_dir / "workers");
//   owners.Register("host:123:ab12cd34");        // before its first claim
//   for (DeadOwner& d : owners.FindDead()) { reap d.worker_id's jobs; owners.Forget(d); }
//
// Thread-safe. Not for a directory on a network filesystem (neither is SQLite).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "util/status.h"

namespace scriptgen::jobs {

class LeaseOwners {
 public:
  explicit LeaseOwners(std::string dir);
  ~LeaseOwners();  // releases the locks (our leases are then reaped by the next scan)

  LeaseOwners(const LeaseOwners&) = delete;
  LeaseOwners& operator=(const LeaseOwners&) = delete;

  // Takes the lock of worker_id (a no-op when already held). A failure (disk full, no directory)
  // is returned and costs only promptness: that owner's leases then expire as before.
  Status Register(const std::string& worker_id);

  // A dead owner found by FindDead. Holding it keeps its lock file locked (so no other process
  // reaps it at the same time) until Forget or destruction.
  class Dead {
   public:
    Dead(Dead&&) noexcept;
    Dead& operator=(Dead&&) noexcept;
    ~Dead();
    const std::string& worker_id() const { return worker_id_; }

   private:
    friend class LeaseOwners;
    Dead(std::string path, std::string worker_id, int fd)
        : path_(std::move(path)), worker_id_(std::move(worker_id)), fd_(fd) {}
    std::string path_;
    std::string worker_id_;
    int fd_ = -1;
  };

  // The worker ids registered by this object (this process): alive by definition.
  std::vector<std::string> Held();

  // Owners whose process is gone. Cheap: one directory listing and one non-blocking lock attempt
  // per file.
  std::vector<Dead> FindDead();
  // After the dead owner's jobs were reaped (committed): removes its lock file.
  void Forget(Dead dead);

  const std::string& dir() const { return dir_; }

 private:
  const std::string dir_;
  std::mutex mu_;
  std::unordered_map<std::string, int> held_;  // worker id -> fd holding its lock
};

}  // namespace scriptgen::jobs
