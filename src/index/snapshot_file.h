// Checksummed, crash-safe file I/O for index snapshots.
//
// AtomicFileWriter writes to a unique temporary file next to the target and only Commit() makes
// it visible: fsync the data, rename over the target, fsync the directory. A crash at any point
// leaves either the old file or the new one, never a mix; an uncommitted writer deletes its
// temporary file. ChecksumReader reads sequentially and reports a short file as a Status, never
// as garbage. Both keep a running FNV-1a 64 checksum of the bytes passed through them, so a
// format can end with a checksum trailer without a second pass.
//
//   auto w = AtomicFileWriter::Create(path);
//   SG_RETURN_IF_ERROR((*w)->Write(bytes.data(), bytes.size()));
//   SG_RETURN_IF_ERROR((*w)->Commit());
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "util/status.h"

namespace scriptgen::snapshot {

// Streaming FNV-1a 64 (byte-wise; snapshots are hashed at roughly 1 GB/s).
class Checksum {
 public:
  void Update(const void* data, size_t n);
  uint64_t value() const { return h_; }

 private:
  uint64_t h_ = 0xcbf29ce484222325ULL;
};

class AtomicFileWriter {
 public:
  static StatusOr<std::unique_ptr<AtomicFileWriter>> Create(const std::string& path);
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  Status Write(const void* data, size_t n);
  uint64_t bytes_written() const { return written_; }
  uint64_t checksum() const { return checksum_.value(); }
  // Makes the file durable and visible under its final path. The writer is done afterwards.
  Status Commit();

 private:
  AtomicFileWriter(std::string path, std::string temp_path, int fd);
  Status Flush();

  std::string path_, temp_path_;
  int fd_;
  bool committed_ = false;
  std::vector<char> buffer_;
  uint64_t written_ = 0;
  Checksum checksum_;
};

class ChecksumReader {
 public:
  // NotFound if the file does not exist.
  static StatusOr<std::unique_ptr<ChecksumReader>> Open(const std::string& path);
  ~ChecksumReader();
  ChecksumReader(const ChecksumReader&) = delete;
  ChecksumReader& operator=(const ChecksumReader&) = delete;

  uint64_t file_size() const { return file_size_; }
  uint64_t position() const { return position_; }
  // Reads exactly n bytes; Internal("... truncated") if the file ends first.
  Status Read(void* data, size_t n);
  uint64_t checksum() const { return checksum_.value(); }  // of the bytes read so far

 private:
  ChecksumReader(std::string path, int fd, uint64_t size);

  std::string path_;
  int fd_;
  uint64_t file_size_;
  uint64_t position_ = 0;
  std::vector<char> buffer_;
  size_t buffer_pos_ = 0, buffer_end_ = 0;
  Checksum checksum_;
};

}  // namespace scriptgen::snapshot
