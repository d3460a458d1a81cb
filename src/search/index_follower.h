// IndexFollower: keeps a process's SearchService in step with documents that OTHER processes
// ingested. In the embedded deployment the pipeline adds each document to the index itself; when
// `scriptgen worker` processes run the pipeline (the scale-out deployment), the API node's index
// learns about their documents from the shared store instead.
//
//   IndexFollower follower(&store, &search);
//   follower.Poll();   // e.g. every 250 ms from a background thread
//
// Each Poll() reads the documents made ready since the last one (with a margin for commits that
// landed out of timestamp order) and adds those not yet indexed at that version of their row. A
// re-added document replaces its earlier vectors (VectorIndex::Add replaces a label). Deletions
// need no following: search checks every hit against the store and drops the deleted ones.
// Not thread-safe: one poller.
#pragma once

#include <cstdint>
#include <unordered_map>

#include "search/search_service.h"
#include "store/document_store.h"

namespace scriptgen::search {

class IndexFollower {
 public:
  IndexFollower(store::DocumentStore* store, SearchService* search, int64_t start_ms)
      : store_(store), search_(search), watermark_ms_(start_ms) {}

  // Returns how many documents were added to the index.
  StatusOr<int> Poll();

 private:
  // Commits can become visible in a different order than their updated_at stamps (several
  // processes, clocks a few ms apart): every poll looks this far behind the newest stamp seen.
  static constexpr int64_t kMarginMs = 5000;

  store::DocumentStore* const store_;
  SearchService* const search_;
  int64_t watermark_ms_;
  std::unordered_map<store::DocumentId, int64_t> indexed_;  // id -> updated_at when added
};

}  // namespace scriptgen::search
