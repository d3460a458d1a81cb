// `scriptgen serve`: the HTTP API, the worker pool and everything they need, in one process, on the
// embedded default backends (SQLite + files under the data directory).
//
// Scale-out (issue 10): with `--queue redis://...` the jobs live in Redis; `serve --role api` then
// runs only the HTTP API and `scriptgen worker` processes (RunWorker) run the pipelines. Every
// process shares the data directory (SQLite in WAL mode, blob files) on one host.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace scriptgen::app {

struct ServeOptions {
  std::string listen = "127.0.0.1:8080";   // SCRIPTGEN_LISTEN
  std::string data_dir = "./var";          // SCRIPTGEN_DATA_DIR
  int workers = 0;                         // SCRIPTGEN_WORKERS; 0: 2 per core, at least 4
  uint64_t max_upload_mb = 50;             // SCRIPTGEN_MAX_UPLOAD_MB
  bool durable_worker = true;              // USE_DURABLE_WORKER
  std::string queue;                       // SCRIPTGEN_QUEUE: "" (embedded) | redis[s]://...
  std::string role = "all";                // SCRIPTGEN_ROLE: all | api (no workers)
  std::string embed_provider = "hash";     // SCRIPTGEN_EMBED_PROVIDER: hash | openai
  std::string embed_model;                 // SCRIPTGEN_EMBED_MODEL (openai)
  std::string embed_url;                   // SCRIPTGEN_EMBED_URL (openai), e.g. .../v1
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
  int64_t max_queue_depth = 100000;        // SCRIPTGEN_MAX_QUEUE_DEPTH: queued jobs before uploads
                                           // get 503 (0: no limit)
  int max_attempts = 5;                    // SCRIPTGEN_MAX_ATTEMPTS: tries per job before the DLQ
  int shutdown_grace_s = 10;
};

enum class ProcessMode { kAll, kApi, kWorker };
std::string_view ProcessModeName(ProcessMode mode);
bool IsRedisUrl(std::string_view url);

// Each runs until SIGTERM or SIGINT, then shuts down gracefully, and returns a process exit code.
int RunServe(const ServeOptions& options);   // role from options.role
int RunWorker(const ServeOptions& options);  // workers only: no HTTP, no search index
int RunProcess(const ServeOptions& options, ProcessMode mode);

}  // namespace scriptgen::app
