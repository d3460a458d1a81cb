// IngestPipeline: the handler of "ingest" jobs. Turns an uploaded document into searchable chunks
// through six steps, each recorded with a step mark (R-Q2) under the key "doc:<id>":
//
//   validate  FileSecurityValidator again, on the stored blob (the upload ran it too)
//   extract   text + sections (page, heading) of the PDF / DOCX / HTML / Markdown / text; secrets
//             (keys, tokens) redacted or the document refused, by policy (R-S4)
//   scrub     personal data replaced by the PII scrubber (R-S2); per-kind counts stored
//   chunk     sentence-aware chunks, each with the page and heading it starts in
//   embed     vectors of every maintained embed_version (active, standby, building), through the
//             embedding cache (chunk_embedding.h)
//   index     into the search index, then the document is marked ready
//
// Every step's stored effect commits together with its mark, so a job re-delivered after a crash
// skips finished steps and no effect is applied twice. Between steps the job's cancellation is
// checked and progress is published. A document deleted while its job runs ends the job as
// cancelled (its later effects fail on the missing row and are rolled back).
#pragma once

#include <string>

#include "embed/embedder_set.h"
#include "extract/file_security_validator.h"
#include "jobs/job_context.h"
#include "jobs/step_store.h"
#include "pii/pii_scrubber.h"
#include "pii/secret_scanner.h"
#include "store/blob_store.h"
#include "store/document_store.h"
#include "text/chunker.h"

namespace scriptgen::search {
class SearchService;
}
namespace scriptgen::obs {
struct ServiceMetrics;
}

namespace scriptgen::ingest {

inline constexpr const char* kIngestJobType = "ingest";

struct IngestOptions {
  ChunkOptions chunking;
  size_t embed_batch = 64;                // texts per Embed() call
  uint64_t max_file_bytes = 1ull << 30;   // larger stored files are refused as bad input
  uint64_t max_text_bytes = 64ull << 20;  // extracted text beyond this is cut (a warning)
  pii::SecretPolicy secret_policy = pii::SecretPolicy::kRedact;
};

struct IngestDeps {
  store::DocumentStore* documents = nullptr;
  store::BlobStore* blobs = nullptr;
  jobs::StepStore* steps = nullptr;
  const EmbedderSet* embedders = nullptr;  // the active version first (see embedder_set.h)
  search::SearchService* search = nullptr;
  const extract::FileSecurityValidator* validator = nullptr;
  const pii::PiiScrubber* scrubber = nullptr;
  obs::ServiceMetrics* metrics = nullptr;  // may be null
};

class IngestPipeline {
 public:
  IngestPipeline(IngestDeps deps, IngestOptions options);

  // The job handler. Payload: {"document_id": N}.
  Status Run(jobs::JobContext& ctx);

  static std::string PayloadFor(store::DocumentId id);
  static std::string StepKey(store::DocumentId id) { return "doc:" + std::to_string(id); }

 private:
  Status RunSteps(jobs::JobContext& ctx, const store::Document& doc);

  IngestDeps deps_;
  IngestOptions options_;
};

}  // namespace scriptgen::ingest
