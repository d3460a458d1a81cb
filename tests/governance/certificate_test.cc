// The signing key (created once, 0600, reused; concurrent creators agree) and deletion
// certificates: sign/verify, and failure on any modification, a wrong key, or a certificate that
// reports data remaining.
#include "governance/certificate.h"

#include <sys/stat.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fstream>
#include <thread>

#include "governance/signing_key.h"
#include "test_util.h"

namespace scriptgen::governance {
namespace {

namespace json = boost::json;

class SigningKeyTest : public DataDirTest {};

TEST_F(SigningKeyTest, CreatedOnceWithMode0600AndReused) {
  const std::string path = SigningKeyPath(dir_);
  StatusOr<SigningKey> first = SigningKey::LoadOrCreate(path);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  StatusOr<SigningKey> again = SigningKey::LoadOrCreate(path);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(first->PublicKeyBase64(), again->PublicKeyBase64());
  StatusOr<SigningKey> loaded = SigningKey::Load(path);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->KeyId(), first->KeyId());
  EXPECT_EQ(first->KeyId().rfind("ed25519:", 0), 0u);
  // No temporary file is left behind.
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir_)) {
    files += e.path().filename().string().find(".tmp.") != std::string::npos ? 1 : 0;
  }
  EXPECT_EQ(files, 0);
}

TEST_F(SigningKeyTest, LoadNeverCreates) {
  EXPECT_EQ(SigningKey::Load(dir_ + "/nope.key").status().code(), Code::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/nope.key"));
}

TEST_F(SigningKeyTest, CorruptKeyFileIsAnError) {
  std::ofstream(dir_ + "/bad.key") << "not a key\n";
  EXPECT_EQ(SigningKey::LoadOrCreate(dir_ + "/bad.key").status().code(), Code::kFailedPrecondition);
}

TEST_F(SigningKeyTest, ConcurrentCreatorsAgreeOnOneKey) {
  const std::string path = dir_ + "/race.key";
  std::vector<std::string> keys(4);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < keys.size(); ++i) {
    threads.emplace_back([&, i] {
      StatusOr<SigningKey> k = SigningKey::LoadOrCreate(path);
      if (k.ok()) keys[i] = k->PublicKeyBase64();
    });
  }
  for (std::thread& t : threads) t.join();
  for (const std::string& k : keys) EXPECT_EQ(k, keys[0]);
  EXPECT_FALSE(keys[0].empty());
}

TEST_F(SigningKeyTest, AuditKeyFileIsHexAnd0600) {
  struct stat st {};
  ASSERT_EQ(::stat(AuditKeyPath(dir_).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  EXPECT_EQ(chain_key_.size(), 32u);
  StatusOr<std::string> again = LoadOrCreateKeyFile(AuditKeyPath(dir_));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, chain_key_);
}

TEST(SignatureTest, SignVerifyAndMismatch) {
  StatusOr<SigningKey> key = SigningKey::FromSeed(std::string(32, 's'));
  ASSERT_TRUE(key.ok());
  const std::string sig = key->Sign("hello");
  EXPECT_TRUE(SigningKey::Verify(key->PublicKeyBase64(), "hello", sig).ok());
  EXPECT_EQ(SigningKey::Verify(key->PublicKeyBase64(), "hellO", sig).code(),
            Code::kPermissionDenied);
  EXPECT_EQ(SigningKey::Verify("???", "hello", sig).code(), Code::kInvalidArgument);
  EXPECT_EQ(SigningKey::Verify(key->PublicKeyBase64(), "hello", "AAAA").code(),
            Code::kInvalidArgument);
}

class CertificateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StatusOr<SigningKey> key = SigningKey::FromSeed(std::string(32, 'k'));
    ASSERT_TRUE(key.ok());
    key_ = std::make_unique<SigningKey>(std::move(*key));
    cert_ = DeletionCertificate{.request_id = "era_1",
                                .subject_hash = SubjectHash(std::string(32, 'a'), "subj-a"),
                                .requested_at = "2026-11-26T13:45:01.123Z",
                                .completed_at = "2026-11-26T13:45:02.456Z",
                                .deleted = {.documents = 10,
                                            .chunks = 40,
                                            .files = 10,
                                            .cache_entries = 3,
                                            .vectors = {{"hash-384-v1", 40}, {"openai-v2", 12}}},
                                .remaining = {.vectors = {{"hash-384-v1", 0}, {"openai-v2", 0}}},
                                .audit_from_seq = 41,
                                .audit_to_seq = 42,
                                .audit_head_hash = std::string(64, 'e')};
  }
  std::string Signed() { return SignCertificateText(cert_, *key_); }

  std::unique_ptr<SigningKey> key_;
  DeletionCertificate cert_;
};

TEST(SubjectHashTest, KeyedAndNeverTheRawId) {
  const std::string h = SubjectHash(std::string(32, 'a'), "subj-a");
  EXPECT_EQ(h.size(), 64u);
  EXPECT_EQ(h.find("subj"), std::string::npos);
  EXPECT_EQ(h, SubjectHash(std::string(32, 'a'), "subj-a"));
  EXPECT_NE(h, SubjectHash(std::string(32, 'b'), "subj-a"));
  EXPECT_NE(h, SubjectHash(std::string(32, 'a'), "subj-b"));
}

TEST_F(CertificateTest, CanonicalJsonSortsKeysWithoutWhitespace) {
  json::value v = json::parse(R"({"b": 1, "a": {"d": [1, "x"], "c": null}})");
  EXPECT_EQ(CanonicalJson(v), R"({"a":{"c":null,"d":[1,"x"]},"b":1})");
}

TEST_F(CertificateTest, SignedCertificateVerifiesAndRoundTrips) {
  const std::string text = Signed();
  EXPECT_EQ(text.find(' '), std::string::npos);
  EXPECT_EQ(text.find("subj-a"), std::string::npos);
  StatusOr<DeletionCertificate> got = VerifyCertificate(text, key_->PublicKeyBase64());
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  DeletionCertificate expected = cert_;
  expected.key_id = key_->KeyId();
  EXPECT_EQ(*got, expected);
  // The embedded key alone (integrity only).
  EXPECT_TRUE(VerifyCertificate(text, "").ok());
}

TEST_F(CertificateTest, ReformattedJsonStillVerifies) {
  // What a Python json.dump (", " and ": " separators, other key order) does to it.
  json::object o = json::parse(Signed()).as_object();
  json::object reordered;
  std::vector<std::string> keys;
  for (const auto& kv : o) keys.emplace_back(kv.key());
  for (auto it = keys.rbegin(); it != keys.rend(); ++it) reordered[*it] = o[*it];
  std::string pretty = json::serialize(reordered);
  std::string spaced;
  bool in_string = false;
  for (size_t i = 0; i < pretty.size(); ++i) {
    const char c = pretty[i];
    spaced += c;
    if (c == '"' && (i == 0 || pretty[i - 1] != '\\')) in_string = !in_string;
    if (!in_string && (c == ',' || c == ':')) spaced += ' ';
  }
  ASSERT_NE(spaced, pretty);
  EXPECT_TRUE(VerifyCertificate(spaced, key_->PublicKeyBase64()).ok());
}

// Every leaf of the signed JSON, changed one at a time, breaks the certificate.
void ForEachLeaf(json::value& v, const std::function<void(json::value&)>& fn) {
  if (v.is_object()) {
    for (auto& kv : v.as_object()) ForEachLeaf(kv.value(), fn);
  } else {
    fn(v);
  }
}

TEST_F(CertificateTest, AnySingleFieldModificationFails) {
  const json::value original = json::parse(Signed());
  int leaves = 0;
  json::value probe = original;
  ForEachLeaf(probe, [&](json::value&) { ++leaves; });
  ASSERT_GT(leaves, 15);
  for (int target = 0; target < leaves; ++target) {
    json::value v = original;
    int i = 0;
    std::string what;
    ForEachLeaf(v, [&](json::value& leaf) {
      if (i++ != target) return;
      what = json::serialize(leaf);
      if (leaf.is_int64()) {
        leaf = leaf.as_int64() + 1;
      } else if (leaf.is_string()) {
        std::string s(leaf.as_string());
        s[s.size() / 2] = s[s.size() / 2] == 'A' ? 'B' : 'A';
        leaf = s;
      }
    });
    EXPECT_FALSE(VerifyCertificate(json::serialize(v), key_->PublicKeyBase64()).ok())
        << "changing " << what << " still verifies";
  }
}

TEST_F(CertificateTest, StructuralTamperingFails) {
  json::object o = json::parse(Signed()).as_object();
  {
    json::object t = o;  // what the acceptance check does
    t["deleted"] = "tampered";
    EXPECT_EQ(VerifyCertificate(json::serialize(t), "").status().code(), Code::kInvalidArgument);
  }
  {
    json::object t = o;
    t.erase("remaining");
    Status s = VerifyCertificate(json::serialize(t), "").status();
    EXPECT_NE(s.message().find("remaining is missing"), std::string::npos) << s.message();
  }
  {
    json::object t = o;
    t["note"] = "added later";
    EXPECT_FALSE(VerifyCertificate(json::serialize(t), "").ok());
  }
  {
    json::object t = o;
    t["deleted"].as_object()["vectors"].as_object()["extra-v9"] = 1;
    EXPECT_EQ(VerifyCertificate(json::serialize(t), "").status().code(), Code::kPermissionDenied);
  }
  {
    json::object t = o;
    t.erase("signature");
    EXPECT_FALSE(VerifyCertificate(json::serialize(t), "").ok());
  }
  EXPECT_EQ(VerifyCertificate("{not json", "").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(VerifyCertificate("[1]", "").status().code(), Code::kInvalidArgument);
}

TEST_F(CertificateTest, WrongPublicKeyFails) {
  StatusOr<SigningKey> other = SigningKey::FromSeed(std::string(32, 'o'));
  ASSERT_TRUE(other.ok());
  Status s = VerifyCertificate(Signed(), other->PublicKeyBase64()).status();
  EXPECT_EQ(s.code(), Code::kPermissionDenied);
  EXPECT_NE(s.message().find("not by the trusted key"), std::string::npos) << s.message();

  // Re-signed by another key with the embedded key swapped: valid on its own, not for us.
  const std::string resigned = SignCertificateText(cert_, *other);
  EXPECT_TRUE(VerifyCertificate(resigned, "").ok());
  EXPECT_EQ(VerifyCertificate(resigned, key_->PublicKeyBase64()).status().code(),
            Code::kPermissionDenied);

  // Embedded public key replaced, signature kept: mismatch.
  json::object o = json::parse(Signed()).as_object();
  o["signature"].as_object()["public_key"] = other->PublicKeyBase64();
  EXPECT_FALSE(VerifyCertificate(json::serialize(o), "").ok());
}

TEST_F(CertificateTest, RemainingNotZeroFails) {
  cert_.remaining.chunks = 1;
  Status s = VerifyCertificate(Signed(), key_->PublicKeyBase64()).status();
  EXPECT_EQ(s.code(), Code::kFailedPrecondition);
  EXPECT_NE(s.message().find("remaining"), std::string::npos) << s.message();
  cert_.remaining.chunks = 0;
  cert_.remaining.vectors["hash-384-v1"] = 2;
  EXPECT_EQ(VerifyCertificate(Signed(), "").status().code(), Code::kFailedPrecondition);
}

class CertificateAnchorTest : public DataDirTest {};

TEST_F(CertificateAnchorTest, MatchesTheAuditEntry) {
  AppendN(2);
  StatusOr<store::AuditEntry> erase = audit_->Append({.actor = "admin", .action = "subject.erase"});
  ASSERT_TRUE(erase.ok());
  AppendN(1);
  DeletionCertificate c{.audit_from_seq = 3, .audit_to_seq = 3, .audit_head_hash = erase->hash_hex};
  StatusOr<bool> checked = CheckCertificateAnchor(c, *audit_);
  ASSERT_TRUE(checked.ok()) << checked.status().ToString();
  EXPECT_TRUE(*checked);
  c.audit_head_hash = std::string(64, 'f');
  EXPECT_FALSE(CheckCertificateAnchor(c, *audit_).ok());
  c.audit_to_seq = 99;
  EXPECT_FALSE(CheckCertificateAnchor(c, *audit_).ok());
}

}  // namespace
}  // namespace scriptgen::governance
