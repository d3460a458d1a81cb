// DeletionCertificate: the signed proof that an erase request (R-G4) removed everything of one
// data subject. It names the subject only by a keyed hash (SubjectHash), so the certificate itself
// holds no personal data and can be handed to the subject, an auditor or a regulator.
//
// Wire form: canonical JSON (object keys sorted bytewise, no whitespace, integers only) of every
// field, plus "signature": {"alg":"Ed25519","public_key":<b64>,"value":<b64>}. The signature
// covers kCertificateSigningTag followed by the canonical JSON of the object WITHOUT "signature".
// Verification re-canonicalises what it parsed, so re-indenting or re-ordering the JSON (a
// Python json.dump) keeps it valid, while any change of a name or value breaks it.
//
//   DeletionCertificate c{.request_id = "era_7", .subject_hash = SubjectHash(key, subject), ...};
//   boost::json::object signed_json = SignCertificate(c, signing_key);   // store / serve this
//   StatusOr<DeletionCertificate> ok = VerifyCertificate(text, signing_key.PublicKeyBase64());
//
// A certificate is valid only if "remaining" is all zeros: it is the re-query, after the erase
// committed, showing nothing of the subject is left.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "governance/signing_key.h"
#include "store/audit_store.h"
#include "util/status.h"

namespace scriptgen::governance {

inline constexpr std::string_view kCertificateType = "scriptgen.deletion-certificate.v1";
inline constexpr std::string_view kCertificateSigningTag = "scriptgen.deletion-certificate.v1\n";

// Items of a subject per store. Used both for what an erase deleted and for what a re-query after
// it still found.
struct StoreCounts {
  int64_t documents = 0;
  int64_t chunks = 0;
  int64_t files = 0;          // blobs and staged/temporary files
  int64_t cache_entries = 0;  // embedding cache and other caches keyed by the subject's content
  std::map<std::string, int64_t> vectors;  // per embed_version

  int64_t Total() const;
  bool operator==(const StoreCounts&) const = default;
};

struct DeletionCertificate {
  std::string request_id;
  std::string subject_hash;  // SubjectHash(key, subject_id): never the raw id
  std::string requested_at;  // RFC 3339 (util/time_format.h)
  std::string completed_at;
  StoreCounts deleted;
  StoreCounts remaining;        // must be all zeros
  int64_t audit_from_seq = 0;   // the audit entries of this erase: first ...
  int64_t audit_to_seq = 0;     // ... and last (the entry committed with the deletion)
  std::string audit_head_hash;  // hash_hex of audit entry audit_to_seq
  std::string key_id;           // KeyId of the signing key (set by SignCertificate)

  bool operator==(const DeletionCertificate&) const = default;
};

// hex HMAC-SHA256(key, domain tag || subject_id). Keyed, so certificates and audit entries cannot
// be joined to a subject by hashing guesses of ids; the server (holding the key) can recompute it
// to answer "is this certificate about subject X".
std::string SubjectHash(std::string_view key, std::string_view subject_id);

// The unsigned JSON object (all fields, no "signature").
boost::json::object ToJson(const DeletionCertificate& c);
// Parses the unsigned fields of a certificate object (a "signature" member is ignored).
// InvalidArgument naming the missing or malformed field, or an unknown one.
StatusOr<DeletionCertificate> FromJson(const boost::json::object& o);
// Canonical serialisation: keys sorted bytewise at every level, no whitespace.
std::string CanonicalJson(const boost::json::value& v);

// The signed certificate: ToJson(c) with key_id set to the key's and a "signature" member.
boost::json::object SignCertificate(DeletionCertificate c, const SigningKey& key);
// CanonicalJson of SignCertificate: the text to store or hand out.
std::string SignCertificateText(const DeletionCertificate& c, const SigningKey& key);

// Checks a certificate and returns it. With trusted_public_key_b64 the certificate must be signed
// by exactly that key (PermissionDenied otherwise); without, the embedded key is used, which proves
// integrity but not origin. Errors name the reason: InvalidArgument (not JSON, missing or malformed
// field), PermissionDenied (key mismatch, signature mismatch), FailedPrecondition (remaining not
// all zeros).
StatusOr<DeletionCertificate> VerifyCertificate(std::string_view json_text,
                                                std::string_view trusted_public_key_b64);

// Checks that the audit log agrees with the certificate: entry audit_to_seq exists with hash
// audit_head_hash. Returns true if checked, false if the entry has been truncated away (covered by
// a checkpoint; nothing to compare); an error if the entry is missing without a checkpoint or its
// hash differs.
StatusOr<bool> CheckCertificateAnchor(const DeletionCertificate& c, store::AuditStore& audit);

}  // namespace scriptgen::governance
