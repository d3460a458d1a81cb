// EmbedderSet: the embedders that new content is embedded with. One is active (search uses its
// vectors); the others are versions being kept up to date beside it: the previous active one
// (kept for an instant rollback) and versions being built by a reindex (R-G1).
//
// The ingest pipeline embeds every new chunk with all() of them; search embeds queries with
// active() only. EmbedVersionService changes the set as versions are added, activated and
// retired; readers get shared_ptrs, so an embedder removed meanwhile stays alive until they are
// done with it. Thread-safe.
#pragma once

#include <algorithm>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "embed/embedder.h"

namespace scriptgen {

class EmbedderSet {
 public:
  explicit EmbedderSet(std::shared_ptr<Embedder> active) {
    embedders_.push_back(std::move(active));
  }

  std::shared_ptr<Embedder> active() const {
    std::shared_lock lock(mu_);
    return embedders_.front();
  }
  // The active embedder first.
  std::vector<std::shared_ptr<Embedder>> all() const {
    std::shared_lock lock(mu_);
    return embedders_;
  }
  // nullptr if the version is not in the set.
  std::shared_ptr<Embedder> Find(const std::string& version) const {
    std::shared_lock lock(mu_);
    auto it = FindLocked(version);
    return it == embedders_.end() ? nullptr : *it;
  }

  // Adds an embedder, or replaces the one of the same version.
  void Add(std::shared_ptr<Embedder> embedder) {
    std::unique_lock lock(mu_);
    auto it = FindLocked(embedder->version());
    if (it != embedders_.end()) {
      *it = std::move(embedder);
    } else {
      embedders_.push_back(std::move(embedder));
    }
  }
  // Makes a version in the set the active one; false if it is not in the set.
  bool SetActive(const std::string& version) {
    std::unique_lock lock(mu_);
    auto it = FindLocked(version);
    if (it == embedders_.end()) return false;
    std::rotate(embedders_.begin(), it, it + 1);
    return true;
  }
  // Removes a version that is not the active one; false otherwise.
  bool Remove(const std::string& version) {
    std::unique_lock lock(mu_);
    auto it = FindLocked(version);
    if (it == embedders_.end() || it == embedders_.begin()) return false;
    embedders_.erase(it);
    return true;
  }

 private:
  std::vector<std::shared_ptr<Embedder>>::const_iterator FindLocked(
      const std::string& version) const {
    return std::find_if(embedders_.begin(), embedders_.end(),
                        [&](const auto& e) { return e->version() == version; });
  }
  std::vector<std::shared_ptr<Embedder>>::iterator FindLocked(const std::string& version) {
    return std::find_if(embedders_.begin(), embedders_.end(),
                        [&](const auto& e) { return e->version() == version; });
  }

  mutable std::shared_mutex mu_;
  std::vector<std::shared_ptr<Embedder>> embedders_;  // [0] is the active one; never empty
};

}  // namespace scriptgen
