// The chain hash is an HMAC rather than a plain hash so that write access to the database is not
// enough to forge history: a plain SHA-256 chain could be recomputed from the edited row onward by
// anyone with the sqlite3 CLI. The key lives in a file beside the database, so this raises the bar
// from "can write the db" to "can read the server's secrets"; checkpoints use Ed25519 instead so
// that they can be checked with a published public key.
//
// Verification streams (ChainVerifier) so `audit verify` runs in constant memory over years of
// entries, and stops at the first broken link because everything after it is unverifiable anyway.
#include "governance/audit_chain.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "governance/key_file.h"

namespace scriptgen::governance {
namespace {

constexpr std::string_view kEntryTag = "scriptgen.audit.v1";
constexpr std::string_view kCheckpointTag = "scriptgen.audit-checkpoint.v1";

void PutU64(std::string& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xff);
}
void PutField(std::string& out, std::string_view s) {
  PutU64(out, s.size());
  out.append(s);
}

bool EqualConstantTime(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Status Broken(int64_t seq, const std::string& why) {
  std::string msg = "audit chain broken at seq ";
  msg += std::to_string(seq);
  msg += ": ";
  msg += why;
  return Internal(std::move(msg));
}

}  // namespace

std::string CanonicalEntry(const store::AuditEntry& e) {
  std::string out;
  PutField(out, kEntryTag);
  PutU64(out, static_cast<uint64_t>(e.seq));
  PutU64(out, static_cast<uint64_t>(e.at_ms));
  PutField(out, e.actor);
  PutField(out, e.action);
  PutField(out, e.target);
  PutField(out, e.details_json);
  return out;
}

std::string ChainHash(std::string_view key, const store::AuditEntry& e) {
  std::string msg;
  PutField(msg, e.prev_hash_hex);
  msg += CanonicalEntry(e);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), mac, &len);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(mac), len));
}

store::AuditChainHasher MakeChainHasher(std::string key) {
  return [key = std::move(key)](const store::AuditEntry& e) { return ChainHash(key, e); };
}

std::string CheckpointSigningBytes(const store::AuditCheckpoint& cp) {
  std::string out;
  PutField(out, kCheckpointTag);
  PutU64(out, static_cast<uint64_t>(cp.seq));
  PutField(out, cp.head_hash_hex);
  PutU64(out, static_cast<uint64_t>(cp.entry_at_ms));
  PutU64(out, static_cast<uint64_t>(cp.created_ms));
  return out;
}

store::AuditCheckpoint MakeCheckpoint(const store::AuditEntry& last, const SigningKey& key,
                                      int64_t now_ms) {
  store::AuditCheckpoint cp{.seq = last.seq,
                            .head_hash_hex = last.hash_hex,
                            .entry_at_ms = last.at_ms,
                            .created_ms = now_ms,
                            .public_key_b64 = key.PublicKeyBase64()};
  cp.signature_b64 = key.Sign(CheckpointSigningBytes(cp));
  return cp;
}

Status VerifyCheckpoint(const store::AuditCheckpoint& cp, std::string_view trusted_public_key_b64) {
  if (trusted_public_key_b64.empty()) {
    return FailedPrecondition("an audit checkpoint can only be verified with the public key");
  }
  Status s =
      SigningKey::Verify(trusted_public_key_b64, CheckpointSigningBytes(cp), cp.signature_b64);
  if (!s.ok()) {
    return Internal("audit checkpoint at seq " + std::to_string(cp.seq) +
                    " is not signed by the trusted key (" + s.message() + ")");
  }
  return Status::Ok();
}

ChainVerifier::ChainVerifier(std::string key, std::string trusted_public_key_b64)
    : key_(std::move(key)), trusted_public_key_(std::move(trusted_public_key_b64)) {
  summary_.head_hash = prev_hash_;
}

Status ChainVerifier::Start(const std::optional<store::AuditCheckpoint>& checkpoint) {
  if (!checkpoint.has_value()) return status_;
  status_ = VerifyCheckpoint(*checkpoint, trusted_public_key_);
  if (!status_.ok()) return status_;
  next_seq_ = checkpoint->seq + 1;
  prev_hash_ = checkpoint->head_hash_hex;
  summary_.checkpoint_seq = checkpoint->seq;
  summary_.head_hash = prev_hash_;
  return status_;
}

Status ChainVerifier::Add(const store::AuditEntry& e) {
  if (!status_.ok()) return status_;
  if (e.seq > next_seq_) {
    std::string why = "entries ";
    why += std::to_string(next_seq_);
    why += "..";
    why += std::to_string(e.seq - 1);
    why += " are missing (deleted rows)";
    status_ = Broken(next_seq_, why);
  } else if (e.seq < next_seq_) {
    std::string why = "found seq ";
    why += std::to_string(e.seq);
    why += " out of order (rows reordered or duplicated)";
    status_ = Broken(next_seq_, why);
  } else if (!EqualConstantTime(e.prev_hash_hex, prev_hash_)) {
    status_ = Broken(e.seq, "prev hash does not link to the previous entry");
  } else if (!EqualConstantTime(ChainHash(key_, e), e.hash_hex)) {
    status_ = Broken(e.seq, "hash mismatch (entry modified)");
  }
  if (!status_.ok()) return status_;
  prev_hash_ = e.hash_hex;
  ++next_seq_;
  if (summary_.entries == 0) summary_.first_seq = e.seq;
  ++summary_.entries;
  summary_.last_seq = e.seq;
  summary_.head_hash = e.hash_hex;
  return status_;
}

StatusOr<ChainSummary> VerifyChain(std::string_view key,
                                   const std::vector<store::AuditEntry>& entries,
                                   const std::optional<store::AuditCheckpoint>& checkpoint,
                                   std::string_view trusted_public_key_b64) {
  ChainVerifier v{std::string(key), std::string(trusted_public_key_b64)};
  SG_RETURN_IF_ERROR(v.Start(checkpoint));
  for (const store::AuditEntry& e : entries) SG_RETURN_IF_ERROR(v.Add(e));
  return v.summary();
}

StatusOr<ChainSummary> VerifyAuditStore(store::AuditStore& audit, std::string_view key,
                                        std::string_view trusted_public_key_b64) {
  ChainVerifier v{std::string(key), std::string(trusted_public_key_b64)};
  Status scan =
      audit.ScanChain([&](const std::optional<store::AuditCheckpoint>& cp) { (void)v.Start(cp); },
                      [&](const store::AuditEntry& e) { return v.Add(e).ok(); });
  // A broken link stops the scan early (scan is OK then); report it before any read error.
  SG_RETURN_IF_ERROR(v.status());
  if (!scan.ok()) return Unavailable("cannot read the audit log: " + scan.message());
  return v.summary();
}

StatusOr<store::AuditCheckpoint> TruncateAuditLog(store::AuditStore& audit, std::string_view key,
                                                  const SigningKey& signing_key,
                                                  int64_t through_seq, int64_t now_ms) {
  StatusOr<ChainSummary> sound = VerifyAuditStore(audit, key, signing_key.PublicKeyBase64());
  if (!sound.ok()) return sound.status();
  StatusOr<std::vector<store::AuditEntry>> last = audit.List(through_seq, 1);
  if (!last.ok()) return last.status();
  if (last->empty() || last->front().seq != through_seq) {
    return FailedPrecondition("audit entry " + std::to_string(through_seq) + " is not stored");
  }
  store::AuditCheckpoint cp = MakeCheckpoint(last->front(), signing_key, now_ms);
  SG_RETURN_IF_ERROR(audit.TruncateThrough(cp));
  return cp;
}

}  // namespace scriptgen::governance
