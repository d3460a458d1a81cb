// The audit chain: how entries of the audit log (store/audit_store.h) are sealed and verified.
//
//   h_i = HMAC-SHA256(key, len(prev) || prev || CanonicalEntry(entry_i)),  prev = h_{i-1}
//
// CanonicalEntry is a deterministic byte string: a version tag, then seq and at_ms as 8-byte
// big-endian integers and actor, action, target, details_json as 8-byte big-endian length +
// bytes, in that fixed order. Length prefixes make it injective: no two different entries encode
// the same (moving a character from one field to the next changes the hash). The key (audit.key)
// means somebody with write access to the database but not to the key cannot re-seal a row they
// edited; the chain means they cannot drop, insert or reorder rows either. The first entry links to
// 64 zeros (store::kAuditGenesisHash), or, after truncation, to the head of the latest checkpoint,
// whose Ed25519 signature the verifier checks against a trusted public key.
//
// What the chain cannot show alone: removal of the newest entries (the tail). Anchors outside the
// database do: deletion certificates carry the seq and hash of their audit entries
// (CheckCertificateAnchor in certificate.h), and verifiers can compare the head they print with one
// recorded earlier.
//
//   SqliteAuditStore audit(db, MakeChainHasher(chain_key));
//   StatusOr<ChainSummary> ok = VerifyAuditStore(audit, chain_key, signing_key.PublicKeyBase64());
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "governance/signing_key.h"
#include "store/audit_store.h"
#include "util/status.h"

namespace scriptgen::governance {

// The canonical bytes of an entry (every field except prev_hash_hex and hash_hex).
std::string CanonicalEntry(const store::AuditEntry& e);
// hex HMAC-SHA256(key, len || e.prev_hash_hex || CanonicalEntry(e)).
std::string ChainHash(std::string_view key, const store::AuditEntry& e);
// The hasher a SqliteAuditStore seals entries with.
store::AuditChainHasher MakeChainHasher(std::string key);

// The bytes an audit checkpoint's signature covers (a version tag, seq, head hash, entry time,
// creation time).
std::string CheckpointSigningBytes(const store::AuditCheckpoint& cp);
// A checkpoint of the chain through `last` (the newest entry to be dropped), signed by key.
store::AuditCheckpoint MakeCheckpoint(const store::AuditEntry& last, const SigningKey& key,
                                      int64_t now_ms);
// OK iff cp is signed by trusted_public_key_b64 (which must be given: a checkpoint that verifies
// only against the key it carries proves nothing).
Status VerifyCheckpoint(const store::AuditCheckpoint& cp, std::string_view trusted_public_key_b64);

struct ChainSummary {
  int64_t entries = 0;
  int64_t first_seq = 0;  // 0 when there are no entries
  int64_t last_seq = 0;
  std::string head_hash;       // hash of the last entry (or the checkpoint head / genesis)
  int64_t checkpoint_seq = 0;  // the checkpoint verification started from; 0 if none
};

// Verifies a chain entry by entry, in seq order, without holding it in memory. The first error is
// sticky: every later Add returns it too. Errors are kInternal ("corrupted state") and name the
// first broken seq and why: hash mismatch (row modified), gap (row deleted), seq out of order
// (rows reordered or duplicated), prev link broken.
class ChainVerifier {
 public:
  // trusted_public_key_b64 verifies a checkpoint; may be empty if there is none.
  ChainVerifier(std::string key, std::string trusted_public_key_b64);
  // Call once, before the first Add, with the checkpoint the entries continue (if any).
  Status Start(const std::optional<store::AuditCheckpoint>& checkpoint);
  Status Add(const store::AuditEntry& e);
  const Status& status() const { return status_; }
  const ChainSummary& summary() const { return summary_; }

 private:
  std::string key_;
  std::string trusted_public_key_;
  Status status_;
  int64_t next_seq_ = 1;
  std::string prev_hash_ = store::kAuditGenesisHash;
  ChainSummary summary_;
};

// Verifies entries (in the order given) continuing checkpoint (if any).
StatusOr<ChainSummary> VerifyChain(std::string_view key,
                                   const std::vector<store::AuditEntry>& entries,
                                   const std::optional<store::AuditCheckpoint>& checkpoint,
                                   std::string_view trusted_public_key_b64 = {});
// Verifies the whole stored chain from its latest checkpoint, in one snapshot. kInternal: the
// chain or checkpoint is broken (tampering); kUnavailable: the log could not be read;
// kFailedPrecondition: there is a checkpoint but no trusted key to check it.
StatusOr<ChainSummary> VerifyAuditStore(store::AuditStore& audit, std::string_view key,
                                        std::string_view trusted_public_key_b64);

// Retention of the audit log itself: verifies the stored chain (truncating a tampered chain would
// launder it), signs a checkpoint of entry through_seq and drops entries 1..through_seq. Returns
// the checkpoint. FailedPrecondition if through_seq is not a stored entry.
StatusOr<store::AuditCheckpoint> TruncateAuditLog(store::AuditStore& audit, std::string_view key,
                                                  const SigningKey& signing_key,
                                                  int64_t through_seq, int64_t now_ms);

}  // namespace scriptgen::governance
