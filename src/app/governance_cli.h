// The offline verification commands of data governance, for main.cc to wire as
//   scriptgen certificate verify FILE [--public-key K | --data-dir D]
//   scriptgen audit verify --data-dir D
// They only read: neither creates a key, and the audit check fails rather than create a database.
//
// Exit codes: 0 valid; 1 invalid (tampered, forged, incomplete erase, broken chain); 2 could not
// check (missing file, key or database, bad arguments). Results go to out, reasons to err.
#pragma once

#include <ostream>
#include <string>

namespace scriptgen::app {

// Verifies a deletion certificate. The trusted key is public_key_b64 if given, else the public key
// of <data_dir>/signing.key if data_dir is given (both given: they must agree); with neither only
// integrity against the embedded key is checked, and a warning says so. With data_dir, the
// certificate's audit entry is also checked against the audit log of <data_dir>/scriptgen.db when
// that exists (CheckCertificateAnchor).
int RunCertificateVerify(const std::string& path, const std::string& public_key_b64,
                         const std::string& data_dir, std::ostream& out, std::ostream& err);

// Verifies the audit chain of <data_dir>/scriptgen.db with <data_dir>/audit.key (and, when the log
// was truncated, the checkpoint with the public key of <data_dir>/signing.key). Prints
// "audit chain ok: N entries, seq A..B, head H" or the first broken link.
int RunAuditVerify(const std::string& data_dir, std::ostream& out, std::ostream& err);

}  // namespace scriptgen::app
