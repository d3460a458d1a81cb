// Exit codes and messages of `scriptgen certificate verify` and `scriptgen audit verify`, on a real
// data directory (database, audit.key, signing.key).
#include "app/governance_cli.h"

#include <fstream>
#include <sstream>

#include "governance/certificate.h"
#include "governance/signing_key.h"
#include "test_util.h"

namespace scriptgen::governance {
namespace {

class GovernanceCliTest : public DataDirTest {
 protected:
  void SetUp() override {
    DataDirTest::SetUp();
    StatusOr<SigningKey> key = SigningKey::LoadOrCreate(SigningKeyPath(dir_));
    ASSERT_TRUE(key.ok());
    key_ = std::make_unique<SigningKey>(std::move(*key));
  }

  // An erase's certificate anchored at a real audit entry; written to <dir>/name.
  std::string WriteCertificate(const std::string& name, const SigningKey& key,
                               int64_t remaining = 0) {
    StatusOr<store::AuditEntry> e = audit_->Append(
        {.actor = "admin", .action = "subject.erase", .target = "subject:" + std::string(8, 'c')});
    EXPECT_TRUE(e.ok());
    DeletionCertificate c{.request_id = "era_9",
                          .subject_hash = SubjectHash(chain_key_, "subj-a"),
                          .requested_at = "2026-11-26T13:45:01.123Z",
                          .completed_at = "2026-11-26T13:45:02.456Z",
                          .deleted = {.documents = 2, .chunks = 5},
                          .remaining = {.documents = remaining},
                          .audit_from_seq = e->seq,
                          .audit_to_seq = e->seq,
                          .audit_head_hash = e->hash_hex};
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << SignCertificateText(c, key);
    return path;
  }

  int CertVerify(const std::string& path, const std::string& pk, const std::string& data_dir) {
    out_.str("");
    err_.str("");
    return app::RunCertificateVerify(path, pk, data_dir, out_, err_);
  }
  int AuditVerify() {
    out_.str("");
    err_.str("");
    return app::RunAuditVerify(dir_, out_, err_);
  }

  std::unique_ptr<SigningKey> key_;
  std::ostringstream out_, err_;
};

TEST_F(GovernanceCliTest, CertificateVerifyExitCodes) {
  AppendN(2);
  const std::string good = WriteCertificate("cert.json", *key_);
  EXPECT_EQ(CertVerify(good, "", dir_), 0) << err_.str();
  EXPECT_NE(out_.str().find("certificate ok"), std::string::npos);
  EXPECT_NE(out_.str().find("matches the audit log"), std::string::npos) << out_.str();
  EXPECT_EQ(CertVerify(good, key_->PublicKeyBase64(), ""), 0) << err_.str();
  EXPECT_EQ(CertVerify(good, "", ""), 0);
  EXPECT_NE(err_.str().find("warning"), std::string::npos);

  // Modified: one count changed.
  std::ifstream in(good);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t at = text.find("\"documents\":2");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 13, "\"documents\":3");
  std::ofstream(dir_ + "/bad.json") << text;
  EXPECT_EQ(CertVerify(dir_ + "/bad.json", "", dir_), 1);
  EXPECT_NE(err_.str().find("INVALID"), std::string::npos);

  // Signed by another key: valid alone, invalid for this data dir or public key.
  StatusOr<SigningKey> other = SigningKey::FromSeed(std::string(32, 'z'));
  ASSERT_TRUE(other.ok());
  const std::string foreign = WriteCertificate("foreign.json", *other);
  EXPECT_EQ(CertVerify(foreign, "", dir_), 1);
  EXPECT_EQ(CertVerify(foreign, key_->PublicKeyBase64(), ""), 1);
  EXPECT_EQ(CertVerify(foreign, other->PublicKeyBase64(), ""), 0);

  EXPECT_EQ(CertVerify(WriteCertificate("left.json", *key_, 1), "", dir_), 1);
  EXPECT_EQ(CertVerify(dir_ + "/missing.json", "", dir_), 2);
  EXPECT_EQ(CertVerify(good, "", dir_ + "/no-such-dir"), 2);
  EXPECT_EQ(CertVerify(good, other->PublicKeyBase64(), dir_), 2);  // disagreeing trust anchors
}

TEST_F(GovernanceCliTest, CertificateWhoseAuditEntryWasAlteredFailsWithDataDir) {
  const std::string good = WriteCertificate("cert.json", *key_);
  ASSERT_TRUE(Exec("UPDATE audit_log SET hash = '" + std::string(64, '0') + "'").ok());
  EXPECT_EQ(CertVerify(good, "", dir_), 1);
  EXPECT_NE(err_.str().find("audit"), std::string::npos);
}

TEST_F(GovernanceCliTest, AuditVerifyExitCodes) {
  AppendN(4);
  EXPECT_EQ(AuditVerify(), 0) << err_.str();
  EXPECT_NE(out_.str().find("audit chain ok: 4 entries, seq 1..4, head "), std::string::npos)
      << out_.str();

  ASSERT_TRUE(Exec("UPDATE audit_log SET action = action || 'x' WHERE seq = 2").ok());
  EXPECT_EQ(AuditVerify(), 1);
  EXPECT_NE(err_.str().find("seq 2"), std::string::npos) << err_.str();
}

TEST_F(GovernanceCliTest, AuditVerifyAfterTruncation) {
  AppendN(5);
  ASSERT_TRUE(TruncateAuditLog(*audit_, chain_key_, *key_, 3, 1).ok());
  EXPECT_EQ(AuditVerify(), 0) << err_.str();
  EXPECT_NE(out_.str().find("checkpoint at seq 3"), std::string::npos) << out_.str();
  // Without the signing key the checkpoint cannot be checked: not "ok", not "tampered".
  std::filesystem::remove(SigningKeyPath(dir_));
  EXPECT_EQ(AuditVerify(), 2);
}

TEST_F(GovernanceCliTest, AuditVerifyCannotCheckWithoutKeyOrDatabase) {
  std::filesystem::remove(AuditKeyPath(dir_));
  EXPECT_EQ(AuditVerify(), 2);
  std::ostringstream out, err;
  const std::string empty = dir_ + "/empty";
  std::filesystem::create_directories(empty);
  ASSERT_TRUE(LoadOrCreateKeyFile(AuditKeyPath(empty)).ok());
  EXPECT_EQ(app::RunAuditVerify(empty, out, err), 2);
  EXPECT_FALSE(std::filesystem::exists(DatabasePath(empty)));  // never created by a verifier
}

}  // namespace
}  // namespace scriptgen::governance
