// The lock file of an owner appears under its final name only once it is locked and holds the
// worker id (written under a temporary name, then link(2)ed into place), so a scanner never takes
// a half-registered owner for a dead one. A scanner that locks a file keeps it locked while the
// caller reaps, and unlinks it before unlocking: another scanner that opened the same file in the
// meantime then sees it is no longer linked and leaves it alone.
#include "jobs/lease_owners.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <random>

namespace scriptgen::jobs {
namespace {

constexpr std::string_view kSuffix = ".lock";
constexpr std::string_view kTmpMarker = ".tmp-";

std::string FileName(const std::string& worker_id) {
  std::string name;
  for (char c : worker_id) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '.' || c == '_' || c == '-';
    name += plain ? c : '_';
  }
  if (name.size() > 180) name.resize(180);  // NAME_MAX is 255; the id inside the file is exact
  return name + std::string(kSuffix);
}

Status Errno(const std::string& what) {
  return Unavailable(what + ": " + std::strerror(errno));
}

// Whether fd is still the file linked at path (not unlinked or replaced by someone else).
bool StillLinked(int fd, const std::string& path) {
  struct stat a, b;
  if (::fstat(fd, &a) != 0 || ::stat(path.c_str(), &b) != 0) return false;
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

std::string ReadAll(int fd) {
  std::string out;
  char buf[512];
  for (;;) {
    const ssize_t n = ::pread(fd, buf, sizeof(buf), static_cast<off_t>(out.size()));
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > 4096) break;  // not one of ours
  }
  return out;
}

}  // namespace

LeaseOwners::LeaseOwners(std::string dir) : dir_(std::move(dir)) {}

LeaseOwners::~LeaseOwners() {
  for (auto& [id, fd] : held_) ::close(fd);
}

Status LeaseOwners::Register(const std::string& worker_id) {
  if (worker_id.empty()) return InvalidArgument("a lease owner needs a worker id");
  std::lock_guard lock(mu_);
  if (held_.contains(worker_id)) return Status::Ok();
  if (::mkdir(dir_.c_str(), 0700) != 0 && errno != EEXIST) return Errno("mkdir " + dir_);
  const std::string final_path = dir_ + "/" + FileName(worker_id);
  char suffix[17];
  std::snprintf(
      suffix, sizeof(suffix), "%016llx",
      static_cast<unsigned long long>(std::random_device{}()) << 32 | std::random_device{}());
  const std::string tmp_path = final_path + std::string(kTmpMarker) + suffix;
  const int fd = ::open(tmp_path.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("create " + tmp_path);
  auto fail = [&](Status s) {
    ::unlink(tmp_path.c_str());
    ::close(fd);
    return s;
  };
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) return fail(Errno("lock " + tmp_path));
  const ssize_t n = ::write(fd, worker_id.data(), worker_id.size());
  if (n != static_cast<ssize_t>(worker_id.size())) return fail(Errno("write " + tmp_path));
  // link, not rename: never replaces the file of another (live) owner.
  if (::link(tmp_path.c_str(), final_path.c_str()) != 0) {
    return fail(Errno("link " + final_path));
  }
  ::unlink(tmp_path.c_str());
  held_.emplace(worker_id, fd);
  return Status::Ok();
}

std::vector<std::string> LeaseOwners::Held() {
  std::lock_guard lock(mu_);
  std::vector<std::string> ids;
  ids.reserve(held_.size());
  for (const auto& [id, fd] : held_) ids.push_back(id);
  return ids;
}

LeaseOwners::Dead::Dead(Dead&& o) noexcept
    : path_(std::move(o.path_)), worker_id_(std::move(o.worker_id_)), fd_(o.fd_) {
  o.fd_ = -1;
}

LeaseOwners::Dead& LeaseOwners::Dead::operator=(Dead&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    path_ = std::move(o.path_);
    worker_id_ = std::move(o.worker_id_);
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

LeaseOwners::Dead::~Dead() {
  if (fd_ >= 0) ::close(fd_);
}

std::vector<LeaseOwners::Dead> LeaseOwners::FindDead() {
  std::vector<Dead> dead;
  DIR* d = ::opendir(dir_.c_str());
  if (d == nullptr) return dead;
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    const bool tmp = name.find(kTmpMarker) != std::string::npos;
    if (!tmp && !name.ends_with(kSuffix)) continue;
    const std::string path = dir_ + "/" + name;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0 || !StillLinked(fd, path)) {
      ::close(fd);  // alive (locked by its owner, possibly this process), or already forgotten
      continue;
    }
    if (tmp) {
      // Debris of a registration cut short by a crash. A young one may be a registration in
      // progress that has not taken its lock yet: left for a later scan.
      struct stat st;
      if (::fstat(fd, &st) == 0 && st.st_mtime < std::time(nullptr) - 60) ::unlink(path.c_str());
      ::close(fd);
      continue;
    }
    std::string id = ReadAll(fd);
    if (id.empty()) {  // cannot happen for a registered owner (written before linking)
      ::unlink(path.c_str());
      ::close(fd);
      continue;
    }
    dead.push_back(Dead(path, std::move(id), fd));
  }
  ::closedir(d);
  return dead;
}

void LeaseOwners::Forget(Dead dead) {
  ::unlink(dead.path_.c_str());  // while still locked, see the file comment
}

}  // namespace scriptgen::jobs
