// HashingFileWriter: writes a byte stream to a new, uniquely named file while computing its
// SHA-256.
//
// Used to spool request bodies and multipart parts to disk without holding them in memory.
//
//   auto w = HashingFileWriter::Create(dir, "upload-");
//   if (!w.ok()) return w.status();
//   SG_RETURN_IF_ERROR(w->Write(chunk));          // repeatedly
//   SG_RETURN_IF_ERROR(w->Finish());              // closes; the file now belongs to the caller
//   Use(w->path(), w->sha256_hex(), w->size());
//
// Until Finish() succeeds the writer owns the file and deletes it when destroyed, so every early
// return on an error path cleans up by itself. The file is created with mode 0600 and is not
// fsync'ed. Not thread-safe; movable.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "http/sha256.h"
#include "util/status.h"

namespace scriptgen::http {

class HashingFileWriter {
 public:
  // Creates "<dir>/<prefix>XXXXXX" (random suffix). `dir` must exist.
  static StatusOr<HashingFileWriter> Create(const std::string& dir, std::string_view prefix);

  HashingFileWriter(HashingFileWriter&& other) noexcept;
  HashingFileWriter& operator=(HashingFileWriter&& other) noexcept;
  HashingFileWriter(const HashingFileWriter&) = delete;
  HashingFileWriter& operator=(const HashingFileWriter&) = delete;
  ~HashingFileWriter();

  Status Write(std::string_view bytes);
  // Closes the file and computes the digest; from then on the caller owns (and must delete) it.
  Status Finish();
  // Closes and deletes the file now (also what the destructor does before Finish).
  void Abandon();

  const std::string& path() const { return path_; }
  const std::string& sha256_hex() const { return hex_; }  // valid after Finish
  uint64_t size() const { return size_; }

 private:
  HashingFileWriter(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}

  int fd_ = -1;
  bool owned_ = true;  // delete on destruction
  std::string path_;
  Sha256 sha_;
  std::string hex_;
  uint64_t size_ = 0;
};

}  // namespace scriptgen::http
