// CountedAuditStore: an AuditStore that counts committed appends in audit_entries_total and
// otherwise forwards to the real store. Appends inside a caller's transaction are counted after
// that transaction commits, so a rollback is never counted.
#pragma once

#include "obs/metrics.h"
#include "store/audit_store.h"

namespace scriptgen::app {

class CountedAuditStore final : public store::AuditStore {
 public:
  CountedAuditStore(store::AuditStore* inner, obs::Counter* appended)
      : inner_(inner), appended_(appended) {}

  StatusOr<store::AuditEntry> Append(store::WriteTx& tx, const store::NewAuditEntry& e) override {
    StatusOr<store::AuditEntry> r = inner_->Append(tx, e);
    if (r.ok()) tx.AfterCommit([c = appended_] { c->Inc(); });
    return r;
  }
  StatusOr<store::AuditEntry> Append(const store::NewAuditEntry& e) override {
    StatusOr<store::AuditEntry> r = inner_->Append(e);
    if (r.ok()) appended_->Inc();
    return r;
  }
  Status ForEach(int64_t from_seq,
                 const std::function<bool(const store::AuditEntry&)>& fn) override {
    return inner_->ForEach(from_seq, fn);
  }
  StatusOr<std::vector<store::AuditEntry>> List(int64_t from_seq, size_t limit) override {
    return inner_->List(from_seq, limit);
  }
  StatusOr<std::optional<store::AuditEntry>> Head() override { return inner_->Head(); }
  Status ScanChain(
      const std::function<void(const std::optional<store::AuditCheckpoint>&)>& on_checkpoint,
      const std::function<bool(const store::AuditEntry&)>& on_entry) override {
    return inner_->ScanChain(on_checkpoint, on_entry);
  }
  Status TruncateThrough(const store::AuditCheckpoint& checkpoint) override {
    return inner_->TruncateThrough(checkpoint);
  }
  StatusOr<std::optional<store::AuditCheckpoint>> LatestCheckpoint() override {
    return inner_->LatestCheckpoint();
  }

 private:
  store::AuditStore* const inner_;
  obs::Counter* const appended_;
};

}  // namespace scriptgen::app
