// The commands open the database through sqlite::Database (the same code, pragmas and migrations as
// the server) rather than a raw sqlite3 handle: a verifier that read the tables differently from
// the writer could pass what the server would not. Opening migrates an old database, which is the
// same thing the server would do on its next start; a missing database is an error, never created.
//
// It lives in app/ (wiring) rather than governance/ because it names the SQLite backend.
#include "app/governance_cli.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "backends/sqlite/database.h"
#include "backends/sqlite/sqlite_audit_store.h"
#include "governance/audit_chain.h"
#include "governance/certificate.h"
#include "governance/key_file.h"
#include "governance/signing_key.h"

namespace scriptgen::app {

// This file is the command-line face of the governance engines: their names are used unqualified.
using namespace governance;

namespace {

constexpr int kValid = 0;
constexpr int kInvalid = 1;
constexpr int kCannotCheck = 2;

// Opens the data dir's database and an audit store over it; nullptr (with a message) if there is
// no database.
struct OpenedAudit {
  std::unique_ptr<sqlite::Database> db;
  std::unique_ptr<sqlite::SqliteAuditStore> audit;
};

StatusOr<OpenedAudit> OpenAudit(const std::string& data_dir, std::string chain_key) {
  const std::string path = DatabasePath(data_dir);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return NotFound("no database at " + path);
  StatusOr<std::unique_ptr<sqlite::Database>> db = sqlite::Database::Open(path);
  if (!db.ok()) return db.status();
  OpenedAudit out;
  out.db = std::move(*db);
  out.audit = std::make_unique<sqlite::SqliteAuditStore>(out.db.get(),
                                                         MakeChainHasher(std::move(chain_key)));
  return out;
}

}  // namespace

int RunCertificateVerify(const std::string& path, const std::string& public_key_b64,
                         const std::string& data_dir, std::ostream& out, std::ostream& err) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    err << "cannot read " << path << "\n";
    return kCannotCheck;
  }
  std::ostringstream text;
  text << in.rdbuf();

  std::string trusted = public_key_b64;
  if (!data_dir.empty()) {
    StatusOr<SigningKey> key = SigningKey::Load(SigningKeyPath(data_dir));
    if (!key.ok()) {
      err << "cannot load the signing key of " << data_dir << ": " << key.status().message()
          << "\n";
      return kCannotCheck;
    }
    if (!trusted.empty() && trusted != key->PublicKeyBase64()) {
      err << "--public-key is not the public key of " << data_dir << "\n";
      return kCannotCheck;
    }
    trusted = key->PublicKeyBase64();
  }

  StatusOr<DeletionCertificate> cert = VerifyCertificate(text.str(), trusted);
  if (!cert.ok()) {
    err << "certificate INVALID: " << cert.status().message() << "\n";
    return kInvalid;
  }

  std::string anchor = "not checked (no --data-dir)";
  if (!data_dir.empty()) {
    StatusOr<std::string> chain_key = LoadKeyFile(AuditKeyPath(data_dir));
    StatusOr<OpenedAudit> opened = chain_key.ok() ? OpenAudit(data_dir, *chain_key)
                                                  : StatusOr<OpenedAudit>(chain_key.status());
    if (!opened.ok()) {
      anchor = "not checked (" + opened.status().message() + ")";
    } else {
      StatusOr<bool> checked = CheckCertificateAnchor(*cert, *opened->audit);
      if (!checked.ok()) {
        err << "certificate INVALID against the audit log: " << checked.status().message() << "\n";
        return kInvalid;
      }
      anchor = *checked ? "matches the audit log" : "truncated from the audit log (checkpointed)";
    }
  }

  out << "certificate ok: request " << cert->request_id << ", subject " << cert->subject_hash
      << ", " << cert->deleted.documents << " documents erased, completed " << cert->completed_at
      << ", signed by " << cert->key_id << "; audit seq " << cert->audit_from_seq << ".."
      << cert->audit_to_seq << " " << anchor << "\n";
  if (trusted.empty()) {
    err << "warning: verified against the key embedded in the certificate only; pass --public-key "
           "or --data-dir to check who signed it\n";
  }
  return kValid;
}

int RunAuditVerify(const std::string& data_dir, std::ostream& out, std::ostream& err) {
  StatusOr<std::string> chain_key = LoadKeyFile(AuditKeyPath(data_dir));
  if (!chain_key.ok()) {
    err << "cannot load the audit chain key: " << chain_key.status().message() << "\n";
    return kCannotCheck;
  }
  // The public key is needed only to check a checkpoint; its absence is reported by the verifier
  // if there is one.
  std::string public_key;
  if (StatusOr<SigningKey> key = SigningKey::Load(SigningKeyPath(data_dir)); key.ok()) {
    public_key = key->PublicKeyBase64();
  }
  StatusOr<OpenedAudit> opened = OpenAudit(data_dir, *chain_key);
  if (!opened.ok()) {
    err << "cannot open the audit log: " << opened.status().message() << "\n";
    return kCannotCheck;
  }
  StatusOr<ChainSummary> summary = VerifyAuditStore(*opened->audit, *chain_key, public_key);
  if (!summary.ok()) {
    if (summary.status().code() != Code::kInternal) {  // unreadable, or no key for a checkpoint
      err << summary.status().message() << "\n";
      return kCannotCheck;
    }
    err << summary.status().message() << "\n";
    return kInvalid;
  }
  out << "audit chain ok: " << summary->entries << " entries";
  if (summary->entries > 0) {
    out << ", seq " << summary->first_seq << ".." << summary->last_seq;
  }
  if (summary->checkpoint_seq > 0) {
    out << ", continuing signed checkpoint at seq " << summary->checkpoint_seq;
  }
  out << ", head " << summary->head_hash << "\n";
  return kValid;
}

}  // namespace scriptgen::app
