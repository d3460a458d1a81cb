// BlobStore: where uploaded files live (the bytes, not their metadata). Keys are opaque strings
// chosen by the store and recorded with the document. The embedded backend keeps files under
// <data-dir>/blobs (backends/fs).
//
// Crash safety: a blob is adopted BEFORE the row that references it is committed, and removed
// AFTER the row's delete committed; a crash in between leaves an unreferenced blob, never a row
// without its blob. Unreferenced blobs are found by ListKeys() and swept.
#pragma once

#include <functional>
#include <string>

#include "util/status.h"

namespace scriptgen::store {

class BlobStore {
 public:
  virtual ~BlobStore() = default;
  // Moves a finished upload (a file on the same filesystem, e.g. the HTTP staging directory) into
  // the store, durably (fsync of file and directory). Returns its key.
  virtual StatusOr<std::string> Adopt(const std::string& staged_path,
                                      const std::string& sha256_hex) = 0;
  // A local filesystem path from which the blob can be read.
  virtual StatusOr<std::string> LocalPath(const std::string& key) const = 0;
  // Removes the blob; OK if it does not exist.
  virtual Status Remove(const std::string& key) = 0;
  virtual Status ListKeys(const std::function<void(const std::string&)>& fn) const = 0;
};

}  // namespace scriptgen::store
