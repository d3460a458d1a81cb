// AuditStore: the port of the append-only, hash-chained audit log (R-G2, R-G4): who did what to
// which ids. Entries hold ids, counts and hashes only, never personal data or content, so an
// erasure never has to touch the log and the chain stays intact.
//
// Chain: entry i carries prev_hash_hex = hash of entry i-1 (64 zeros for the first entry, or the
// head of the latest checkpoint after truncation) and hash_hex = hasher(entry i), a keyed hash over
// prev_hash_hex and the entry's canonical encoding (governance/audit_chain.h). The store does not
// know the key or the encoding: it is given an AuditChainHasher when it is built, which keeps the
// storage backends free of any dependency on the governance layer (and of the key).
//
// Append computes seq, prev and hash inside the write transaction that inserts the row, so
// concurrent appends (all serialised by the single writer) always form one valid chain; use the
// overload taking a WriteTx to make an effect (e.g. an erase) and its audit entry commit together.
//
// Truncation (retention of the audit log itself): TruncateThrough(checkpoint) drops every entry
// with seq <= checkpoint.seq and records the checkpoint (seq and hash of the last dropped entry,
// signed by the server's Ed25519 key) in the same transaction; verification then starts from the
// latest checkpoint. A checkpoint is only as good as its signature: verifiers must check it
// against a trusted public key (governance::VerifyCheckpoint).
//
//   SqliteAuditStore audit(db, governance::MakeChainHasher(chain_key));
//   StatusOr<AuditEntry> e = audit.Append(tx, {.actor = "tok_1a2b", .action = "document.delete",
//                                              .target = "doc_42", .details_json = "{}"});
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "store/write_tx.h"
#include "util/status.h"

namespace scriptgen::store {

// The prev hash of the first entry of a chain that has never been truncated.
inline constexpr const char* kAuditGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

struct NewAuditEntry {
  std::string actor;   // token id ("tok_..."), "admin", "system:retention", ...: never a secret
  std::string action;  // dotted verb: "document.upload", "document.delete", "subject.erase", ...
  std::string target;  // ids or keyed hashes ("doc_42", "subject:<hmac>"): never a raw subject id
  std::string details_json;  // a JSON object of ids, counts and hashes; empty means "{}"
  int64_t at_ms = 0;         // 0: the store's clock at append
};

struct AuditEntry {
  int64_t seq = 0;  // 1, 2, 3, ... without gaps (until truncation drops a prefix)
  int64_t at_ms = 0;
  std::string actor;
  std::string action;
  std::string target;
  std::string details_json;
  std::string prev_hash_hex;  // hash_hex of entry seq-1 (or genesis / checkpoint head)
  std::string hash_hex;       // keyed chain hash of this entry, 64 lowercase hex
};

// A signed statement "the chain up to and including entry seq had head hash head_hash_hex".
struct AuditCheckpoint {
  int64_t seq = 0;             // last dropped entry
  std::string head_hash_hex;   // its hash_hex: the prev_hash_hex of entry seq+1
  int64_t entry_at_ms = 0;     // its at_ms
  int64_t created_ms = 0;      // when the checkpoint was made
  std::string public_key_b64;  // Ed25519 key that signed (informational; verify with a trusted key)
  std::string signature_b64;   // Ed25519 over governance::CheckpointSigningBytes(checkpoint)
};

// Returns hash_hex for an entry whose every other field (seq, at_ms, actor, action, target,
// details_json, prev_hash_hex) is set. Must be deterministic and thread-safe.
using AuditChainHasher = std::function<std::string(const AuditEntry& unsealed)>;

class AuditStore {
 public:
  virtual ~AuditStore() = default;

  // Appends inside the caller's transaction: the entry commits (or rolls back) with it. The
  // returned entry (seq, hash) is final once that transaction commits.
  virtual StatusOr<AuditEntry> Append(WriteTx& tx, const NewAuditEntry& entry) = 0;
  // Appends in a transaction of its own; returns after it is durable.
  virtual StatusOr<AuditEntry> Append(const NewAuditEntry& entry) = 0;

  // Calls fn for every entry with seq >= from_seq, in seq order, until fn returns false. Reads one
  // consistent snapshot.
  virtual Status ForEach(int64_t from_seq, const std::function<bool(const AuditEntry&)>& fn) = 0;
  // Up to limit entries with seq >= from_seq, in seq order (listing routes).
  virtual StatusOr<std::vector<AuditEntry>> List(int64_t from_seq, size_t limit) = 0;
  // The newest entry; nullopt if the log is empty (or truncated to nothing).
  virtual StatusOr<std::optional<AuditEntry>> Head() = 0;

  // In ONE snapshot: the latest checkpoint (nullopt if none), then every entry after it in seq
  // order until on_entry returns false. What a verifier needs: a truncation committing between
  // reading the checkpoint and reading the entries cannot make a sound chain look broken.
  virtual Status ScanChain(
      const std::function<void(const std::optional<AuditCheckpoint>&)>& on_checkpoint,
      const std::function<bool(const AuditEntry&)>& on_entry) = 0;

  // Drops every entry with seq <= checkpoint.seq and stores the checkpoint, atomically.
  // FailedPrecondition unless entry checkpoint.seq exists with hash checkpoint.head_hash_hex (so a
  // checkpoint can only be made of the real chain). The signature is the caller's job
  // (governance::TruncateAuditLog does both).
  virtual Status TruncateThrough(const AuditCheckpoint& checkpoint) = 0;
  // The checkpoint with the highest seq; nullopt if the log was never truncated.
  virtual StatusOr<std::optional<AuditCheckpoint>> LatestCheckpoint() = 0;
};

}  // namespace scriptgen::store
