// FsBlobStore: blobs as files under a root directory, fanned out by the first two hex digits of
// their SHA-256 (root/ab/ab12...-<random>), so no directory grows huge. Each upload gets its own
// file even when two uploads have the same bytes: deleting one document must never take another's
// bytes with it.
#pragma once

#include "store/blob_store.h"

namespace scriptgen::fs {

class FsBlobStore final : public store::BlobStore {
 public:
  explicit FsBlobStore(std::string root) : root_(std::move(root)) {}

  StatusOr<std::string> Adopt(const std::string& staged_path,
                              const std::string& sha256_hex) override;
  StatusOr<std::string> LocalPath(const std::string& key) const override;
  Status Remove(const std::string& key) override;
  Status ListKeys(const std::function<void(const std::string&)>& fn) const override;

 private:
  const std::string root_;
};

}  // namespace scriptgen::fs
