// POSIX file descriptors rather than iostreams: fsync needs the descriptor, errors need errno,
// and iostreams would hide short writes. Writes go through a 1 MiB buffer so that serialising a
// graph field by field does not become one syscall per field.
//
// The temporary name carries the pid and a process-wide counter, so concurrent Saves to the same
// target (Save only takes a shared lock) never write into each other's temporary file; the last
// rename wins, and each renamed file is complete.
#include "index/snapshot_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <system_error>

namespace scriptgen::snapshot {
namespace {

constexpr size_t kBufferSize = 1 << 20;

std::string ErrnoMessage(int err) {
  return std::error_code(err, std::generic_category()).message();
}

Status IoError(const std::string& what, const std::string& path, int err) {
  const bool full = err == ENOSPC || err == EDQUOT;
  return {full ? Code::kStorageFull : Code::kUnavailable,
          what + " " + path + ": " + ErrnoMessage(err)};
}

std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

void Checksum::Update(const void* data, size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  uint64_t h = h_;
  for (size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 0x100000001b3ULL;
  }
  h_ = h;
}

StatusOr<std::unique_ptr<AtomicFileWriter>> AtomicFileWriter::Create(const std::string& path) {
  static std::atomic<uint64_t> counter{0};
  const std::string temp =
      path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1));
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return IoError("cannot create", temp, errno);
  return std::unique_ptr<AtomicFileWriter>(new AtomicFileWriter(path, temp, fd));
}

AtomicFileWriter::AtomicFileWriter(std::string path, std::string temp_path, int fd)
    : path_(std::move(path)), temp_path_(std::move(temp_path)), fd_(fd) {
  buffer_.reserve(kBufferSize);
}

AtomicFileWriter::~AtomicFileWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temp_path_.c_str());
}

Status AtomicFileWriter::Write(const void* data, size_t n) {
  if (fd_ < 0) return FailedPrecondition("write after commit to " + path_);
  checksum_.Update(data, n);
  written_ += n;
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    const size_t take = std::min(n, kBufferSize - buffer_.size());
    buffer_.insert(buffer_.end(), p, p + take);
    p += take;
    n -= take;
    if (buffer_.size() == kBufferSize) SG_RETURN_IF_ERROR(Flush());
  }
  return Status::Ok();
}

Status AtomicFileWriter::Flush() {
  const char* p = buffer_.data();
  size_t left = buffer_.size();
  while (left > 0) {
    const ssize_t w = ::write(fd_, p, left);
    if (w < 0) {
      if (errno == EINTR) continue;
      return IoError("cannot write", temp_path_, errno);
    }
    p += w;
    left -= static_cast<size_t>(w);
  }
  buffer_.clear();
  return Status::Ok();
}

Status AtomicFileWriter::Commit() {
  if (fd_ < 0) return FailedPrecondition("commit twice to " + path_);
  SG_RETURN_IF_ERROR(Flush());
  if (::fsync(fd_) != 0) return IoError("cannot fsync", temp_path_, errno);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) return IoError("cannot close", temp_path_, errno);
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    return IoError("cannot rename over", path_, errno);
  }
  committed_ = true;
  // The rename is durable only once the directory entry is.
  const std::string dir = DirectoryOf(path_);
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return IoError("cannot open directory", dir, errno);
  const int rc = ::fsync(dfd);
  const int err = errno;
  ::close(dfd);
  if (rc != 0) return IoError("cannot fsync directory", dir, err);
  return Status::Ok();
}

StatusOr<std::unique_ptr<ChecksumReader>> ChecksumReader::Open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return NotFound("no snapshot at " + path);
    return IoError("cannot open", path, errno);
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return IoError("cannot stat", path, err);
  }
  return std::unique_ptr<ChecksumReader>(
      new ChecksumReader(path, fd, static_cast<uint64_t>(st.st_size)));
}

ChecksumReader::ChecksumReader(std::string path, int fd, uint64_t size)
    : path_(std::move(path)), fd_(fd), file_size_(size), buffer_(kBufferSize) {}

ChecksumReader::~ChecksumReader() {
  ::close(fd_);
}

Status ChecksumReader::Read(void* data, size_t n) {
  char* out = static_cast<char*>(data);
  size_t left = n;
  while (left > 0) {
    if (buffer_pos_ == buffer_end_) {
      ssize_t r;
      do {
        r = ::read(fd_, buffer_.data(), buffer_.size());
      } while (r < 0 && errno == EINTR);
      if (r < 0) return IoError("cannot read", path_, errno);
      if (r == 0) return Internal("snapshot " + path_ + " is truncated");
      buffer_pos_ = 0;
      buffer_end_ = static_cast<size_t>(r);
    }
    const size_t take = std::min(left, buffer_end_ - buffer_pos_);
    std::memcpy(out, buffer_.data() + buffer_pos_, take);
    buffer_pos_ += take;
    out += take;
    left -= take;
  }
  checksum_.Update(data, n);
  position_ += n;
  return Status::Ok();
}

}  // namespace scriptgen::snapshot
