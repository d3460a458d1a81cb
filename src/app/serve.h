// `scriptgen serve`: the HTTP API, the worker pool and everything they need, in one process, on the
// embedded default backends (SQLite + files under the data directory).
#pragma once

#include <string>
#include <vector>

namespace scriptgen::app {

struct ServeOptions {
  std::string listen = "127.0.0.1:8080";   // SCRIPTGEN_LISTEN
  std::string data_dir = "./var";          // SCRIPTGEN_DATA_DIR
  int workers = 0;                         // SCRIPTGEN_WORKERS; 0: 2 per core, at least 4
  uint64_t max_upload_mb = 50;             // SCRIPTGEN_MAX_UPLOAD_MB
  bool durable_worker = true;              // USE_DURABLE_WORKER
  size_t embed_dimension = 384;            // SCRIPTGEN_EMBED_DIM
  size_t chunk_chars = 1000;               // SCRIPTGEN_CHUNK_CHARS
  size_t chunk_overlap = 150;              // SCRIPTGEN_CHUNK_OVERLAP
  double rate_limit_per_s = 50;            // SCRIPTGEN_RATE_LIMIT: requests/s per non-admin token
  double rate_limit_burst = 200;           // SCRIPTGEN_RATE_BURST
  std::string log_level = "info";          // SCRIPTGEN_LOG_LEVEL: debug | info | warn | error
  std::string metrics_access = "open";     // SCRIPTGEN_METRICS_ACCESS: open | token | off
  std::string pii_policy;                  // SCRIPTGEN_PII_POLICY, e.g. "email=mask"; "": <KIND>
  std::string secret_policy = "redact";    // SCRIPTGEN_SECRET_POLICY: redact | refuse
  std::string tls_cert_file;               // SCRIPTGEN_TLS_CERT; with tls_key_file: HTTPS
  std::string tls_key_file;                // SCRIPTGEN_TLS_KEY
  bool allow_plain_http = false;           // SCRIPTGEN_ALLOW_PLAIN_HTTP: plain HTTP off loopback
  int max_connections = 1024;              // SCRIPTGEN_MAX_CONNECTIONS
  int retention_days = 180;                // SCRIPTGEN_RETENTION_DAYS: user content
  std::vector<std::string> allowed_types;  // SCRIPTGEN_ALLOWED_TYPES; empty: the default list
  int shutdown_grace_s = 10;
};

// Runs until SIGTERM or SIGINT, then shuts down gracefully. Returns a process exit code.
int RunServe(const ServeOptions& options);

}  // namespace scriptgen::app
