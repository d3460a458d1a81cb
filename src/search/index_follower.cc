#include "search/index_follower.h"

#include <algorithm>

namespace scriptgen::search {

StatusOr<int> IndexFollower::Poll() {
  int added = 0;
  int64_t since = watermark_ms_ - kMarginMs;
  for (;;) {
    StatusOr<std::vector<std::pair<store::DocumentId, int64_t>>> ready =
        store_->ReadyDocumentsSince(since, 500);
    if (!ready.ok()) return ready.status();
    for (const auto& [id, updated] : *ready) {
      watermark_ms_ = std::max(watermark_ms_, updated);
      auto [it, fresh] = indexed_.try_emplace(id, updated);
      if (!fresh && it->second == updated) continue;
      it->second = updated;
      Status s = search_->AddDocument(id);
      if (!s.ok() && s.code() != Code::kNotFound) return s;  // NotFound: deleted meanwhile
      ++added;
    }
    if (ready->size() < 500) break;
    // A full page: continue after its last stamp (documents sharing it are re-read and skipped).
    if (ready->back().second == since) break;  // 500 rows with one stamp: next poll goes on
    since = ready->back().second;
  }
  // Forget what fell behind the margin: those rows are never returned again.
  std::erase_if(indexed_,
                [&](const auto& kv) { return kv.second < watermark_ms_ - 2 * kMarginMs; });
  return added;
}

}  // namespace scriptgen::search
