#include "app/tokens_command.h"

#include <cstdio>
#include <filesystem>

#include "app/secrets.h"
#include "auth/access_control.h"
#include "backends/sqlite/database.h"
#include "backends/sqlite/sqlite_audit_store.h"
#include "backends/sqlite/sqlite_token_store.h"
#include "governance/audit_chain.h"
#include "governance/key_file.h"
#include "util/time_format.h"

namespace scriptgen::app {
namespace {

int Fail(const std::string& what, const Status& s) {
  std::fprintf(stderr, "scriptgen tokens: %s: %s\n", what.c_str(), s.message().c_str());
  return s.code() == Code::kInvalidArgument || s.code() == Code::kNotFound ? 2 : 1;
}

std::string When(int64_t ms) {
  return ms == 0 ? std::string("-") : FormatTimestampMs(ms);
}

}  // namespace

int RunTokensCommand(const TokensCommandOptions& o) {
  namespace stdfs = std::filesystem;
  const stdfs::path data = stdfs::absolute(o.data_dir);
  if (!stdfs::is_directory(data)) {
    return Fail("data directory", NotFound(data.string() + " does not exist; start the server "
                                                           "once or pass --data-dir"));
  }
  StatusOr<Secret> key = LoadTokenHashKey(data.string());
  if (!key.ok()) return Fail("token hash key", key.status());
  StatusOr<std::unique_ptr<sqlite::Database>> db =
      sqlite::Database::Open((data / "scriptgen.db").string());
  if (!db.ok()) return Fail("database", db.status());
  sqlite::SqliteTokenStore store(db->get());
  StatusOr<std::string> audit_key =
      governance::LoadOrCreateKeyFile(governance::AuditKeyPath(data.string()));
  if (!audit_key.ok()) return Fail("audit key", audit_key.status());
  sqlite::SqliteAuditStore audit(db->get(), governance::MakeChainHasher(*audit_key));
  auth::AccessControlManager access(&store, key->value, /*admin_token=*/"", SystemClock::Get(),
                                    &audit);

  if (o.action == "create") {
    std::optional<auth::Role> role = auth::ParseRole(o.role);
    if (!role) return Fail("--role", InvalidArgument("must be admin, writer or reader"));
    std::optional<std::chrono::milliseconds> expires;
    if (!o.expires.empty()) {
      StatusOr<std::chrono::milliseconds> d = auth::ParseDuration(o.expires);
      if (!d.ok()) return Fail("--expires", d.status());
      expires = *d;
    }
    StatusOr<auth::CreatedToken> t = access.Create(*role, o.subject, expires, o.note, "cli");
    if (!t.ok()) return Fail("create", t.status());
    if (o.json) {
      std::printf("{\"id\":\"%s\",\"token\":\"%s\"}\n", t->record.id.c_str(), t->token.c_str());
    } else {
      std::fprintf(stderr, "Created %s (%s%s%s, expires %s). The token is shown only now:\n",
                   t->record.id.c_str(), t->record.role.c_str(),
                   t->record.subject_id.empty() ? "" : ", subject ", t->record.subject_id.c_str(),
                   When(t->record.expires_ms).c_str());
      std::printf("%s\n", t->token.c_str());
    }
    return 0;
  }
  if (o.action == "ls") {
    StatusOr<std::vector<store::TokenRecord>> list = access.List();
    if (!list.ok()) return Fail("ls", list.status());
    const int64_t now = SystemClock::Get()->NowMs();
    std::printf("%-20s %-7s %-8s %-24s %-24s %s\n", "ID", "ROLE", "STATE", "SUBJECT", "EXPIRES",
                "NOTE");
    for (const store::TokenRecord& t : *list) {
      const char* state = t.revoked_ms != 0                          ? "revoked"
                          : t.expires_ms != 0 && now >= t.expires_ms ? "expired"
                                                                     : "active";
      std::printf("%-20s %-7s %-8s %-24s %-24s %s\n", t.id.c_str(), t.role.c_str(), state,
                  t.subject_id.empty() ? "-" : t.subject_id.c_str(), When(t.expires_ms).c_str(),
                  t.note.c_str());
    }
    return 0;
  }
  if (o.action == "revoke") {
    if (Status s = access.Revoke(o.id, "cli"); !s.ok()) return Fail("revoke", s);
    std::printf("revoked %s\n", o.id.c_str());
    return 0;
  }
  return Fail("usage", InvalidArgument("unknown action " + o.action));
}

}  // namespace scriptgen::app
