// HashingFileWriter: mkstemp + write(2) + EVP SHA-256.
//
// Plain POSIX calls rather than iostreams: we need mkstemp's atomic unique creation (no races with
// concurrent uploads, no predictable names in a shared directory) and exact errno in messages.
// Writes are unbuffered because callers already hand us 64 KiB chunks; a short write is retried.
#include "http/hashing_file_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

namespace scriptgen::http {
namespace {

Status ErrnoStatus(std::string_view what, const std::string& path) {
  // A full disk is the operator's to fix and the client's to retry, not a bug: its own code.
  const bool full = errno == ENOSPC || errno == EDQUOT;
  const std::string message = std::string(what) + " " + path + ": " + std::strerror(errno);
  return full ? StorageFull(message) : Internal(message);
}

}  // namespace

StatusOr<HashingFileWriter> HashingFileWriter::Create(const std::string& dir,
                                                      std::string_view prefix) {
  std::string tmpl = dir;
  if (!tmpl.empty() && tmpl.back() != '/') tmpl += '/';
  tmpl.append(prefix);
  tmpl += "XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  int fd = mkostemp(buf.data(), O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("cannot create temp file in", dir);
  return HashingFileWriter(fd, std::string(buf.data()));
}

HashingFileWriter::HashingFileWriter(HashingFileWriter&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      owned_(std::exchange(other.owned_, false)),
      path_(std::move(other.path_)),
      sha_(std::move(other.sha_)),
      hex_(std::move(other.hex_)),
      size_(other.size_) {}

HashingFileWriter& HashingFileWriter::operator=(HashingFileWriter&& other) noexcept {
  if (this != &other) {
    Abandon();
    fd_ = std::exchange(other.fd_, -1);
    owned_ = std::exchange(other.owned_, false);
    path_ = std::move(other.path_);
    sha_ = std::move(other.sha_);
    hex_ = std::move(other.hex_);
    size_ = other.size_;
  }
  return *this;
}

HashingFileWriter::~HashingFileWriter() {
  Abandon();
}

void HashingFileWriter::Abandon() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (owned_ && !path_.empty()) ::unlink(path_.c_str());
  owned_ = false;
}

Status HashingFileWriter::Write(std::string_view bytes) {
  if (fd_ < 0) return FailedPrecondition("write to closed file " + path_);
  sha_.Update(bytes);
  size_ += bytes.size();
  while (!bytes.empty()) {
    ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("write", path_);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Status HashingFileWriter::Finish() {
  if (fd_ < 0) return FailedPrecondition("finish of closed file " + path_);
  int rc = ::close(fd_);
  fd_ = -1;
  if (rc != 0) return ErrnoStatus("close", path_);
  hex_ = sha_.FinishHex();
  owned_ = false;
  return Status::Ok();
}

}  // namespace scriptgen::http
