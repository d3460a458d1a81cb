// Why canonical JSON and not "sign the bytes we sent": certificates travel through other tools
// (HTTP clients, Python, ticket systems) that re-serialise JSON freely. Signing a canonical form
// of the parsed object makes validity a property of the content, not of its formatting. The form
// is simple enough to reproduce anywhere (sorted keys, no whitespace, integers only, Boost.JSON's
// string escaping), and a verifier never has to trust the sender's bytes: it re-derives them.
//
// Parsing is strict (every field present with its type, no unknown fields) so that a verifier
// never reports "valid" for content it did not understand; the signature already covers
// everything, strictness only makes the error message useful.
#include "governance/certificate.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <set>
#include <vector>

#include "governance/key_file.h"

namespace scriptgen::governance {
namespace {

namespace json = boost::json;

constexpr std::string_view kSubjectTag = "scriptgen.subject.v1";

Status Field(std::string_view name, std::string_view problem) {
  std::string msg = "certificate field ";
  msg += name;
  msg += ' ';
  msg += problem;
  return InvalidArgument(std::move(msg));
}

Status GetString(const json::object& o, std::string_view name, std::string& out) {
  const json::value* v = o.if_contains(name);
  if (v == nullptr) return Field(name, "is missing");
  if (!v->is_string()) return Field(name, "must be a string");
  out = std::string(v->as_string());
  return Status::Ok();
}

// display: the field's name in messages, e.g. "deleted.chunks" for "chunks" (defaults to name).
Status GetCount(const json::object& o, std::string_view name, int64_t& out,
                std::string_view display = {}) {
  const json::value* v = o.if_contains(name);
  if (display.empty()) display = name;
  if (v == nullptr) return Field(display, "is missing");
  if (v->is_int64()) {
    out = v->as_int64();
  } else if (v->is_uint64() && v->as_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
    out = static_cast<int64_t>(v->as_uint64());
  } else {
    return Field(display, "must be an integer");
  }
  if (out < 0) return Field(display, "must not be negative");
  return Status::Ok();
}

Status OnlyKnownKeys(const json::object& o, std::string_view where,
                     const std::set<std::string_view>& known) {
  for (const auto& kv : o) {
    if (!known.contains(kv.key())) {
      std::string name(where);
      if (!name.empty()) name += '.';
      name += kv.key();
      return Field(name, "is not part of a deletion certificate");
    }
  }
  return Status::Ok();
}

json::object CountsToJson(const StoreCounts& c) {
  json::object vectors;
  for (const auto& [version, n] : c.vectors) vectors[version] = n;
  return {{"documents", c.documents},
          {"chunks", c.chunks},
          {"files", c.files},
          {"cache_entries", c.cache_entries},
          {"vectors", std::move(vectors)}};
}

Status CountsFromJson(const json::object& parent, std::string_view name, StoreCounts& out) {
  const json::value* v = parent.if_contains(name);
  if (v == nullptr) return Field(name, "is missing");
  if (!v->is_object()) return Field(name, "must be an object");
  const json::object& o = v->as_object();
  SG_RETURN_IF_ERROR(
      OnlyKnownKeys(o, name, {"documents", "chunks", "files", "cache_entries", "vectors"}));
  const std::string prefix = std::string(name) + ".";
  auto count = [&](std::string_view key, int64_t& dst) {
    return GetCount(o, key, dst, prefix + std::string(key));
  };
  SG_RETURN_IF_ERROR(count("documents", out.documents));
  SG_RETURN_IF_ERROR(count("chunks", out.chunks));
  SG_RETURN_IF_ERROR(count("files", out.files));
  SG_RETURN_IF_ERROR(count("cache_entries", out.cache_entries));
  const json::value* vectors = o.if_contains("vectors");
  if (vectors == nullptr) return Field(prefix + "vectors", "is missing");
  if (!vectors->is_object()) return Field(prefix + "vectors", "must be an object");
  for (const auto& kv : vectors->as_object()) {
    int64_t n = 0;
    SG_RETURN_IF_ERROR(
        GetCount(vectors->as_object(), kv.key(), n, prefix + "vectors." + std::string(kv.key())));
    out.vectors[std::string(kv.key())] = n;
  }
  return Status::Ok();
}

void WriteCanonical(const json::value& v, std::string& out) {
  switch (v.kind()) {
    case json::kind::object: {
      const json::object& o = v.as_object();
      std::vector<const json::key_value_pair*> members;
      members.reserve(o.size());
      for (const json::key_value_pair& kv : o) members.push_back(&kv);
      std::sort(members.begin(), members.end(),
                [](const auto* a, const auto* b) { return a->key() < b->key(); });
      out += '{';
      for (size_t i = 0; i < members.size(); ++i) {
        if (i > 0) out += ',';
        out += json::serialize(json::string_view(members[i]->key()));
        out += ':';
        WriteCanonical(members[i]->value(), out);
      }
      out += '}';
      return;
    }
    case json::kind::array: {
      out += '[';
      bool first = true;
      for (const json::value& e : v.as_array()) {
        if (!first) out += ',';
        first = false;
        WriteCanonical(e, out);
      }
      out += ']';
      return;
    }
    default:
      out += json::serialize(v);
      return;
  }
}

std::string SigningBytes(const json::object& unsigned_body) {
  std::string bytes(kCertificateSigningTag);
  bytes += CanonicalJson(unsigned_body);
  return bytes;
}

}  // namespace

int64_t StoreCounts::Total() const {
  int64_t total = documents + chunks + files + cache_entries;
  for (const auto& [version, n] : vectors) total += n;
  return total;
}

std::string SubjectHash(std::string_view key, std::string_view subject_id) {
  std::string msg(kSubjectTag);
  msg += '\0';
  msg += subject_id;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), mac, &len);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(mac), len));
}

std::string CanonicalJson(const json::value& v) {
  std::string out;
  WriteCanonical(v, out);
  return out;
}

json::object ToJson(const DeletionCertificate& c) {
  return {{"type", kCertificateType},
          {"request_id", c.request_id},
          {"subject_hash", c.subject_hash},
          {"requested_at", c.requested_at},
          {"completed_at", c.completed_at},
          {"deleted", CountsToJson(c.deleted)},
          {"remaining", CountsToJson(c.remaining)},
          {"audit_from_seq", c.audit_from_seq},
          {"audit_to_seq", c.audit_to_seq},
          {"audit_head_hash", c.audit_head_hash},
          {"key_id", c.key_id}};
}

StatusOr<DeletionCertificate> FromJson(const json::object& o) {
  SG_RETURN_IF_ERROR(OnlyKnownKeys(
      o, "",
      {"type", "request_id", "subject_hash", "requested_at", "completed_at", "deleted", "remaining",
       "audit_from_seq", "audit_to_seq", "audit_head_hash", "key_id", "signature"}));
  std::string type;
  SG_RETURN_IF_ERROR(GetString(o, "type", type));
  if (type != kCertificateType) return Field("type", "is not " + std::string(kCertificateType));
  DeletionCertificate c;
  SG_RETURN_IF_ERROR(GetString(o, "request_id", c.request_id));
  SG_RETURN_IF_ERROR(GetString(o, "subject_hash", c.subject_hash));
  SG_RETURN_IF_ERROR(GetString(o, "requested_at", c.requested_at));
  SG_RETURN_IF_ERROR(GetString(o, "completed_at", c.completed_at));
  SG_RETURN_IF_ERROR(CountsFromJson(o, "deleted", c.deleted));
  SG_RETURN_IF_ERROR(CountsFromJson(o, "remaining", c.remaining));
  SG_RETURN_IF_ERROR(GetCount(o, "audit_from_seq", c.audit_from_seq));
  SG_RETURN_IF_ERROR(GetCount(o, "audit_to_seq", c.audit_to_seq));
  SG_RETURN_IF_ERROR(GetString(o, "audit_head_hash", c.audit_head_hash));
  SG_RETURN_IF_ERROR(GetString(o, "key_id", c.key_id));
  return c;
}

json::object SignCertificate(DeletionCertificate c, const SigningKey& key) {
  c.key_id = key.KeyId();
  json::object o = ToJson(c);
  const std::string signature = key.Sign(SigningBytes(o));
  o["signature"] =
      json::object{{"alg", "Ed25519"}, {"public_key", key.PublicKeyBase64()}, {"value", signature}};
  return o;
}

std::string SignCertificateText(const DeletionCertificate& c, const SigningKey& key) {
  return CanonicalJson(SignCertificate(c, key));
}

StatusOr<DeletionCertificate> VerifyCertificate(std::string_view json_text,
                                                std::string_view trusted_public_key_b64) {
  boost::system::error_code ec;
  json::value v = json::parse(json_text, ec);
  if (ec) return InvalidArgument("certificate is not JSON: " + ec.message());
  if (!v.is_object()) return InvalidArgument("certificate is not a JSON object");
  json::object body = std::move(v.as_object());

  const json::value* sig = body.if_contains("signature");
  if (sig == nullptr) return Field("signature", "is missing (unsigned certificate)");
  if (!sig->is_object()) return Field("signature", "must be an object");
  std::string alg, public_key, value;
  SG_RETURN_IF_ERROR(GetString(sig->as_object(), "alg", alg));
  SG_RETURN_IF_ERROR(GetString(sig->as_object(), "public_key", public_key));
  SG_RETURN_IF_ERROR(GetString(sig->as_object(), "value", value));
  if (alg != "Ed25519") return Field("signature.alg", "must be Ed25519");

  StatusOr<DeletionCertificate> cert = FromJson(body);
  if (!cert.ok()) return cert.status();

  StatusOr<std::string> embedded_id = KeyIdOf(public_key);
  if (!embedded_id.ok()) return Field("signature.public_key", "is not an Ed25519 public key");
  if (!trusted_public_key_b64.empty()) {
    StatusOr<std::string> trusted_id = KeyIdOf(trusted_public_key_b64);
    if (!trusted_id.ok()) return InvalidArgument("the trusted public key is not an Ed25519 key");
    if (*trusted_id != *embedded_id) {
      return PermissionDenied("certificate is signed by key " + *embedded_id +
                              ", not by the trusted key " + *trusted_id);
    }
  }
  if (cert->key_id != *embedded_id) {
    return PermissionDenied("key_id " + cert->key_id + " does not match the signing key " +
                            *embedded_id);
  }

  body.erase("signature");
  Status s = SigningKey::Verify(public_key, SigningBytes(body), value);
  if (!s.ok()) {
    return PermissionDenied("signature mismatch: the certificate was modified after signing (" +
                            s.message() + ")");
  }
  if (const int64_t left = cert->remaining.Total(); left != 0) {
    return FailedPrecondition("certificate reports " + std::to_string(left) +
                              " item(s) of the subject remaining: the erase is not complete");
  }
  return cert;
}

StatusOr<bool> CheckCertificateAnchor(const DeletionCertificate& c, store::AuditStore& audit) {
  if (c.audit_to_seq <= 0) return false;
  const std::string seq = std::to_string(c.audit_to_seq);
  StatusOr<std::vector<store::AuditEntry>> entry = audit.List(c.audit_to_seq, 1);
  if (!entry.ok()) return entry.status();
  if (!entry->empty() && entry->front().seq == c.audit_to_seq) {
    if (entry->front().hash_hex != c.audit_head_hash) {
      return Internal("audit entry " + seq + " does not have the certificate's audit_head_hash");
    }
    return true;
  }
  StatusOr<std::optional<store::AuditCheckpoint>> cp = audit.LatestCheckpoint();
  if (!cp.ok()) return cp.status();
  if (cp->has_value() && (*cp)->seq >= c.audit_to_seq) {
    if ((*cp)->seq == c.audit_to_seq && (*cp)->head_hash_hex != c.audit_head_hash) {
      return Internal("audit checkpoint " + seq + " does not have the certificate's head hash");
    }
    return false;  // truncated by retention: nothing left to compare
  }
  return Internal("audit entry " + seq + " of the certificate is missing from the audit log");
}

}  // namespace scriptgen::governance
