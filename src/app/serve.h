// `scriptgen serve`: the HTTP API, the worker pool and everything they need, in one process, on the
// embedded default backends (SQLite + files under the data directory).
#pragma once

#include <string>

namespace scriptgen::app {

struct ServeOptions {
  std::string listen = "127.0.0.1:8080";  // SCRIPTGEN_LISTEN
  std::string data_dir = "./var";         // SCRIPTGEN_DATA_DIR
  int workers = 0;                        // SCRIPTGEN_WORKERS; 0: 2 per core, at least 4
  uint64_t max_upload_mb = 50;            // SCRIPTGEN_MAX_UPLOAD_MB
  bool durable_worker = true;             // USE_DURABLE_WORKER
  size_t embed_dimension = 384;           // SCRIPTGEN_EMBED_DIM
  size_t chunk_chars = 1000;              // SCRIPTGEN_CHUNK_CHARS
  size_t chunk_overlap = 150;             // SCRIPTGEN_CHUNK_OVERLAP
  int shutdown_grace_s = 10;
};

// Runs until SIGTERM or SIGINT, then shuts down gracefully. Returns a process exit code.
int RunServe(const ServeOptions& options);

}  // namespace scriptgen::app
