// IngestPipeline: the handler of "ingest" jobs. Turns an uploaded document into searchable chunks
// through six steps, each recorded with a step mark (R-Q2) under the key "doc:<id>":
//
//   validate -> extract -> scrub -> chunk -> embed -> index
//
// Every step's stored effect commits together with its mark, so a job re-delivered after a crash
// skips finished steps and no effect is applied twice. Between steps the job's cancellation is
// checked and progress is published. A document deleted while its job runs ends the job as
// cancelled (its later effects fail on the missing row and are rolled back).
#pragma once

#include <string>

#include "embed/embedder.h"
#include "jobs/job_context.h"
#include "jobs/step_store.h"
#include "store/blob_store.h"
#include "store/document_store.h"
#include "text/chunker.h"

namespace scriptgen::search {
class SearchService;
}

namespace scriptgen::ingest {

inline constexpr const char* kIngestJobType = "ingest";

struct IngestOptions {
  ChunkOptions chunking;
  size_t embed_batch = 64;             // chunks per Embed() call
  uint64_t max_text_bytes = 64 << 20;  // larger extracted text is rejected as bad input
};

struct IngestDeps {
  store::DocumentStore* documents = nullptr;
  store::BlobStore* blobs = nullptr;
  jobs::StepStore* steps = nullptr;
  Embedder* embedder = nullptr;
  search::SearchService* search = nullptr;
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
