// OrphanDetector: finds what a crash or a failed cleanup can leave behind (R-G2): blob files no
// document refers to, documents whose blob file is missing, and staging files of uploads that
// never finished. With fix, removes the orphaned files (a document without its file cannot be
// processed or re-extracted, so it is reported, not deleted: an operator decides).
//
// Rows without parents cannot exist (foreign keys with ON DELETE CASCADE), and the vector index
// is rebuilt from the store at every start, so neither needs a sweep.
//
// A blob is only an orphan once it is older than `grace`: an upload adopts its file a moment
// before the row that refers to it commits.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "store/blob_store.h"
#include "store/document_store.h"
#include "util/status.h"

namespace scriptgen::governance {

struct OrphanReport {
  std::vector<std::string> orphan_blobs;         // blob keys without a document
  std::vector<std::string> missing_blobs;        // blob keys of documents whose file is gone
  std::vector<std::string> stale_staging_files;  // paths under the staging directory
  int64_t removed = 0;                           // files removed (with fix)
};

struct OrphanScanOptions {
  std::string staging_dir;  // empty: not scanned
  std::chrono::seconds grace{3600};
  bool fix = false;
};

StatusOr<OrphanReport> FindOrphans(store::DocumentStore& documents, store::BlobStore& blobs,
                                   const OrphanScanOptions& options);

}  // namespace scriptgen::governance
