// The audit chain: sealing, verification, and detection of every kind of tampering a person with
// write access to the database (raw SQL, the sqlite3 CLI) could try; concurrent appends; an
// entry committing or rolling back with its caller's transaction; truncation behind a signed
// checkpoint.
#include "governance/audit_chain.h"

#include <atomic>
#include <cstdlib>
#include <thread>
#include <vector>

#include "governance/signing_key.h"
#include "test_util.h"

namespace scriptgen::governance {
namespace {

using store::AuditEntry;

class AuditChainTest : public DataDirTest {
 protected:
  Status Verify(const std::string& public_key = {}) {
    return VerifyAuditStore(*audit_, chain_key_, public_key).status();
  }
  std::vector<AuditEntry> All() {
    StatusOr<std::vector<AuditEntry>> all = audit_->List(0, 1'000'000);
    EXPECT_TRUE(all.ok());
    return all.ok() ? *all : std::vector<AuditEntry>{};
  }
};

AuditEntry Sealed(const std::string& key, int64_t seq, const std::string& prev) {
  AuditEntry e{.seq = seq,
               .at_ms = 1000 + seq,
               .actor = "admin",
               .action = "subject.erase",
               .target = "subject:abc",
               .details_json = "{}",
               .prev_hash_hex = prev};
  e.hash_hex = ChainHash(key, e);
  return e;
}

TEST(ChainHashTest, CanonicalEncodingIsInjectiveAcrossFieldBoundaries) {
  AuditEntry a{.seq = 1, .actor = "ab", .action = "c"};
  AuditEntry b{.seq = 1, .actor = "a", .action = "bc"};
  EXPECT_NE(CanonicalEntry(a), CanonicalEntry(b));
  a.prev_hash_hex = b.prev_hash_hex = store::kAuditGenesisHash;
  EXPECT_NE(ChainHash("k", a), ChainHash("k", b));
}

TEST(ChainHashTest, KeyedAndLinkedToPrev) {
  AuditEntry e = Sealed("key-1", 1, store::kAuditGenesisHash);
  EXPECT_EQ(e.hash_hex.size(), 64u);
  EXPECT_NE(ChainHash("key-2", e), e.hash_hex);
  AuditEntry other_prev = e;
  other_prev.prev_hash_hex = std::string(64, '1');
  EXPECT_NE(ChainHash("key-1", other_prev), e.hash_hex);
}

TEST(ChainHashTest, VerifyChainInMemoryNamesFirstBrokenSeq) {
  std::vector<AuditEntry> chain;
  std::string prev = store::kAuditGenesisHash;
  for (int64_t seq = 1; seq <= 5; ++seq) {
    chain.push_back(Sealed("k", seq, prev));
    prev = chain.back().hash_hex;
  }
  StatusOr<ChainSummary> ok = VerifyChain("k", chain, std::nullopt);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->entries, 5);
  EXPECT_EQ(ok->head_hash, chain.back().hash_hex);

  EXPECT_FALSE(VerifyChain("wrong key", chain, std::nullopt).ok());

  std::vector<AuditEntry> reordered = chain;
  std::swap(reordered[1], reordered[2]);
  Status s = VerifyChain("k", reordered, std::nullopt).status();
  EXPECT_EQ(s.code(), Code::kInternal);
  EXPECT_NE(s.message().find("seq 2"), std::string::npos) << s.message();

  std::vector<AuditEntry> relinked = chain;
  relinked[3].prev_hash_hex = chain[1].hash_hex;
  s = VerifyChain("k", relinked, std::nullopt).status();
  EXPECT_NE(s.message().find("seq 4: prev hash"), std::string::npos) << s.message();
}

TEST_F(AuditChainTest, AppendsFormAVerifiableChain) {
  AppendN(5);
  std::vector<AuditEntry> all = All();
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all[0].seq, 1);
  EXPECT_EQ(all[0].prev_hash_hex, store::kAuditGenesisHash);
  for (size_t i = 1; i < all.size(); ++i) {
    EXPECT_EQ(all[i].seq, static_cast<int64_t>(i + 1));
    EXPECT_EQ(all[i].prev_hash_hex, all[i - 1].hash_hex);
  }
  StatusOr<ChainSummary> summary = VerifyAuditStore(*audit_, chain_key_, "");
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->entries, 5);
  EXPECT_EQ(summary->first_seq, 1);
  EXPECT_EQ(summary->last_seq, 5);
  StatusOr<std::optional<AuditEntry>> head = audit_->Head();
  ASSERT_TRUE(head.ok() && head->has_value());
  EXPECT_EQ(summary->head_hash, (*head)->hash_hex);
}

TEST_F(AuditChainTest, EmptyLogVerifies) {
  StatusOr<ChainSummary> summary = VerifyAuditStore(*audit_, chain_key_, "");
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ(summary->entries, 0);
  EXPECT_EQ(summary->head_hash, store::kAuditGenesisHash);
}

TEST_F(AuditChainTest, RejectsDetailsThatAreNotAJsonObject) {
  EXPECT_EQ(audit_->Append({.action = "x", .details_json = "[1]"}).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(audit_->Append({.action = "x", .details_json = "{"}).status().code(),
            Code::kInvalidArgument);
  StatusOr<AuditEntry> e = audit_->Append({.action = "x"});
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->details_json, "{}");
  EXPECT_EQ(e->seq, 1);  // the rejected appends took no seq
}

TEST_F(AuditChainTest, DetectsARowModifiedWithSql) {
  AppendN(4);
  ASSERT_TRUE(Exec("UPDATE audit_log SET target = 'doc_999' WHERE seq = 3").ok());
  Status s = Verify();
  EXPECT_EQ(s.code(), Code::kInternal);
  EXPECT_NE(s.message().find("seq 3: hash mismatch"), std::string::npos) << s.message();
}

TEST_F(AuditChainTest, DetectsEditingTimestampOrHashToo) {
  AppendN(3);
  ASSERT_TRUE(Exec("UPDATE audit_log SET at = at + 1 WHERE seq = 1").ok());
  EXPECT_NE(Verify().message().find("seq 1"), std::string::npos);
  ASSERT_TRUE(Exec("UPDATE audit_log SET at = at - 1 WHERE seq = 1").ok());
  ASSERT_TRUE(Verify().ok());
  // Re-sealing a row without the key: its hash no longer matches, or its successor's link breaks.
  ASSERT_TRUE(Exec("UPDATE audit_log SET hash = prev_hash WHERE seq = 2").ok());
  EXPECT_NE(Verify().message().find("seq 2"), std::string::npos);
}

TEST_F(AuditChainTest, DetectsARowModifiedWithTheSqlite3Cli) {
  if (std::system("sqlite3 -version > /dev/null 2>&1") != 0) GTEST_SKIP() << "no sqlite3 CLI";
  AppendN(3);
  CloseDb();
  // What the acceptance check does: append a character to a text column of the second row.
  const std::string cmd = "sqlite3 '" + DatabasePath(dir_) +
                          "' \"UPDATE audit_log SET action = action || 'x' WHERE rowid = "
                          "(SELECT rowid FROM audit_log LIMIT 1 OFFSET 1);\"";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  OpenDb();
  Status s = Verify();
  EXPECT_EQ(s.code(), Code::kInternal);
  EXPECT_NE(s.message().find("seq 2"), std::string::npos) << s.message();
}

TEST_F(AuditChainTest, DetectsADeletedMiddleRow) {
  AppendN(5);
  ASSERT_TRUE(Exec("DELETE FROM audit_log WHERE seq = 3").ok());
  Status s = Verify();
  EXPECT_EQ(s.code(), Code::kInternal);
  EXPECT_NE(s.message().find("seq 3"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("missing"), std::string::npos) << s.message();
}

TEST_F(AuditChainTest, DetectsDeletedFirstRow) {
  AppendN(3);
  ASSERT_TRUE(Exec("DELETE FROM audit_log WHERE seq = 1").ok());
  EXPECT_NE(Verify().message().find("seq 1"), std::string::npos);
}

TEST_F(AuditChainTest, DetectsSwappedDetails) {
  AppendN(2);
  ASSERT_TRUE(
      audit_
          ->Append(
              {.actor = "admin", .action = "subject.erase", .details_json = R"({"documents":10})"})
          .ok());
  ASSERT_TRUE(
      audit_
          ->Append(
              {.actor = "admin", .action = "subject.erase", .details_json = R"({"documents":1})"})
          .ok());
  ASSERT_TRUE(Exec("UPDATE audit_log SET details = CASE seq WHEN 3 THEN "
                   "(SELECT details FROM audit_log WHERE seq = 4) ELSE "
                   "(SELECT details FROM audit_log WHERE seq = 3) END WHERE seq IN (3, 4)")
                  .ok());
  std::vector<AuditEntry> all = All();
  ASSERT_EQ(all[2].details_json, R"({"documents":1})");  // the swap happened
  Status s = Verify();
  EXPECT_NE(s.message().find("seq 3: hash mismatch"), std::string::npos) << s.message();
}

TEST_F(AuditChainTest, DetectsAnInsertedForgedRow) {
  AppendN(2);
  // A forger without the key appends a row linked correctly but sealed with a made-up hash.
  StatusOr<std::optional<AuditEntry>> head = audit_->Head();
  ASSERT_TRUE(head.ok() && head->has_value());
  const std::string sql = "INSERT INTO audit_log VALUES (3, 1, 'admin', 'noop', '', '{}', '" +
                          (*head)->hash_hex + "', '" + std::string(64, 'a') + "')";
  ASSERT_TRUE(Exec(sql).ok());
  EXPECT_NE(Verify().message().find("seq 3: hash mismatch"), std::string::npos);
}

TEST_F(AuditChainTest, ConcurrentAppendsFormOneValidChain) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string actor = "worker_";
        actor += std::to_string(t);
        if (!audit_->Append({.actor = actor, .action = "document.upload"}).ok()) ++failures;
        if (i % 10 == 0) (void)audit_->Head();  // reads beside the writer
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  StatusOr<ChainSummary> summary = VerifyAuditStore(*audit_, chain_key_, "");
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->entries, kThreads * kPerThread);
  EXPECT_EQ(summary->last_seq, kThreads * kPerThread);
}

TEST_F(AuditChainTest, EntryCommitsAndRollsBackWithTheCallersTransaction) {
  AppendN(1);
  // The op fails after appending: its audit entry must vanish with it.
  Status failed = db_->writer().Run([&](sqlite::Tx& tx) -> Status {
    StatusOr<AuditEntry> e = audit_->Append(tx, {.actor = "admin", .action = "subject.erase"});
    if (!e.ok()) return e.status();
    EXPECT_EQ(e->seq, 2);
    return Internal("erase failed halfway");
  });
  EXPECT_FALSE(failed.ok());
  std::optional<AuditEntry> committed;
  Status ok = db_->writer().Run([&](sqlite::Tx& tx) -> Status {
    StatusOr<AuditEntry> e = audit_->Append(tx, {.actor = "admin", .action = "subject.erase"});
    if (!e.ok()) return e.status();
    StatusOr<AuditEntry> e2 = audit_->Append(tx, {.actor = "admin", .action = "certificate"});
    if (!e2.ok()) return e2.status();
    committed = *e2;
    return Status::Ok();
  });
  ASSERT_TRUE(ok.ok()) << ok.ToString();
  EXPECT_EQ(committed->seq, 3);
  EXPECT_EQ(All().size(), 3u);
  EXPECT_TRUE(Verify().ok());
}

class AuditCheckpointTest : public AuditChainTest {
 protected:
  void SetUp() override {
    AuditChainTest::SetUp();
    StatusOr<SigningKey> key = SigningKey::LoadOrCreate(SigningKeyPath(dir_));
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    key_ = std::make_unique<SigningKey>(std::move(*key));
  }
  std::unique_ptr<SigningKey> key_;
};

TEST_F(AuditCheckpointTest, TruncationKeepsTheRestVerifiable) {
  AppendN(10);
  StatusOr<store::AuditCheckpoint> cp = TruncateAuditLog(*audit_, chain_key_, *key_, 6, 5000);
  ASSERT_TRUE(cp.ok()) << cp.status().ToString();
  EXPECT_EQ(cp->seq, 6);
  std::vector<AuditEntry> all = All();
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all.front().seq, 7);
  EXPECT_EQ(all.front().prev_hash_hex, cp->head_hash_hex);

  StatusOr<ChainSummary> summary = VerifyAuditStore(*audit_, chain_key_, key_->PublicKeyBase64());
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->entries, 4);
  EXPECT_EQ(summary->checkpoint_seq, 6);
  // Without the trusted key a checkpoint proves nothing.
  EXPECT_EQ(Verify("").code(), Code::kFailedPrecondition);

  // Appends continue the chain; truncating everything then appending continues the checkpoint.
  AppendN(2);
  ASSERT_TRUE(TruncateAuditLog(*audit_, chain_key_, *key_, 12, 6000).ok());
  EXPECT_TRUE(All().empty());
  AppendN(1);
  std::vector<AuditEntry> after = All();
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].seq, 13);
  EXPECT_TRUE(Verify(key_->PublicKeyBase64()).ok());
}

TEST_F(AuditCheckpointTest, RefusesToTruncateATamperedChainOrAMissingEntry) {
  AppendN(5);
  EXPECT_EQ(TruncateAuditLog(*audit_, chain_key_, *key_, 9, 1).status().code(),
            Code::kFailedPrecondition);
  ASSERT_TRUE(Exec("UPDATE audit_log SET actor = 'someone' WHERE seq = 2").ok());
  EXPECT_EQ(TruncateAuditLog(*audit_, chain_key_, *key_, 3, 1).status().code(), Code::kInternal);
  EXPECT_EQ(All().size(), 5u);  // nothing truncated
}

TEST_F(AuditCheckpointTest, StoreRefusesACheckpointOfAnotherChain) {
  AppendN(3);
  std::vector<AuditEntry> all = All();
  AuditEntry fake = all[1];
  fake.hash_hex = std::string(64, 'b');
  EXPECT_EQ(audit_->TruncateThrough(MakeCheckpoint(fake, *key_, 1)).code(),
            Code::kFailedPrecondition);
}

TEST_F(AuditCheckpointTest, ForgedCheckpointFails) {
  AppendN(6);
  ASSERT_TRUE(TruncateAuditLog(*audit_, chain_key_, *key_, 2, 1).ok());
  const std::string pk = key_->PublicKeyBase64();
  ASSERT_TRUE(Verify(pk).ok());

  // A tamperer deletes rows 3..4 and moves the checkpoint forward to hide the gap: without the
  // signing key the moved checkpoint's signature does not verify.
  std::vector<AuditEntry> all = All();
  ASSERT_TRUE(Exec("DELETE FROM audit_log WHERE seq <= 4").ok());
  ASSERT_TRUE(
      Exec("UPDATE audit_checkpoints SET seq = 4, head_hash = '" + all[1].hash_hex + "'").ok());
  Status s = Verify(pk);
  EXPECT_EQ(s.code(), Code::kInternal);
  EXPECT_NE(s.message().find("checkpoint"), std::string::npos) << s.message();

  // Signed with another key: fails against the trusted one.
  StatusOr<SigningKey> other = SigningKey::FromSeed(std::string(32, 'x'));
  ASSERT_TRUE(other.ok());
  store::AuditCheckpoint forged = MakeCheckpoint(all[1], *other, 1);
  ASSERT_TRUE(Exec("DELETE FROM audit_checkpoints").ok());
  const std::string insert = "INSERT INTO audit_checkpoints VALUES (4, '" + forged.head_hash_hex +
                             "', " + std::to_string(forged.entry_at_ms) + ", 1, '" +
                             forged.public_key_b64 + "', '" + forged.signature_b64 + "')";
  ASSERT_TRUE(Exec(insert).ok());
  EXPECT_EQ(Verify(pk).code(), Code::kInternal);
  EXPECT_TRUE(VerifyCheckpoint(forged, other->PublicKeyBase64()).ok());  // sound, but not ours
  EXPECT_FALSE(VerifyCheckpoint(forged, pk).ok());
}

TEST_F(AuditCheckpointTest, DeletingTheCheckpointExposesTheGap) {
  AppendN(5);
  ASSERT_TRUE(TruncateAuditLog(*audit_, chain_key_, *key_, 3, 1).ok());
  ASSERT_TRUE(Exec("DELETE FROM audit_checkpoints").ok());
  Status s = Verify(key_->PublicKeyBase64());
  EXPECT_NE(s.message().find("seq 1"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace scriptgen::governance
