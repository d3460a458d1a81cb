#include "ingest/document_service.h"

#include <unistd.h>

#include "ingest/ingest_pipeline.h"
#include "search/search_service.h"

namespace scriptgen::ingest {

StatusOr<UploadResult> DocumentService::Upload(const UploadRequest& request) {
  auto reject = [&](Status s) {
    ::unlink(request.staged_path.c_str());
    return s;
  };
  if (request.size == 0) return reject(InvalidArgument("the uploaded document is empty"));
  if (request.filename.empty() || request.filename.size() > 255 ||
      request.filename.find_first_of(std::string("/\\\0", 3)) != std::string::npos) {
    return reject(InvalidArgument("a filename of 1-255 bytes without '/' or '\\' is required"));
  }
  if (request.subject_id.size() > 255) {
    return reject(InvalidArgument("subject_id is longer than 255 bytes"));
  }
  if (request.idempotency_key.size() > 255) {
    return reject(InvalidArgument("Idempotency-Key is longer than 255 bytes"));
  }
  StatusOr<std::string> key = deps_.blobs->Adopt(request.staged_path, request.sha256_hex);
  if (!key.ok()) return reject(key.status());

  const store::NewDocument doc{
      request.filename,        request.mime, request.sha256_hex, request.size, request.subject_id,
      request.idempotency_key, *key};
  StatusOr<store::DocumentStore::CreateResult> created = deps_.documents->Create(
      doc, [this](store::WriteTx& tx, store::DocumentId id) -> StatusOr<int64_t> {
        jobs::EnqueueRequest job{kIngestJobType, IngestPipeline::PayloadFor(id), ""};
        StatusOr<jobs::EnqueueResult> r = deps_.queue->EnqueueInTx(tx, job);
        if (!r.ok()) return r.status();
        return r->id;
      });
  // A replay keeps the first upload's blob; a failure keeps nothing.
  if (!created.ok() || !created->created) (void)deps_.blobs->Remove(*key);
  if (!created.ok()) return created.status();
  return UploadResult{created->document, created->created};
}

std::string DocumentService::StateOf(const store::Document& doc) {
  if (doc.ready) return "ready";
  StatusOr<jobs::Job> job = deps_.queue->Get(doc.job_id);
  if (!job.ok()) return "failed";  // the job is gone (purged from the DLQ, or a lost memory job)
  switch (job->state) {
    case jobs::JobState::kQueued:
      return "queued";
    case jobs::JobState::kScheduled:
    case jobs::JobState::kRunning:
      return "processing";
    case jobs::JobState::kSucceeded:
      return "ready";
    case jobs::JobState::kDead:
      return "failed";
    case jobs::JobState::kCancelled:
      return "cancelled";
  }
  return "failed";
}

StatusOr<DocumentView> DocumentService::Get(store::DocumentId id) {
  StatusOr<store::Document> doc = deps_.documents->Get(id);
  if (!doc.ok()) return doc.status();
  return DocumentView{*doc, StateOf(*doc)};
}

StatusOr<DocumentPage> DocumentService::List(store::DocumentId after_id, size_t limit,
                                             const std::optional<std::string>& subject_id) {
  if (limit < 1 || limit > 1000) return InvalidArgument("limit must be between 1 and 1000");
  // One extra row tells whether another page exists.
  StatusOr<std::vector<store::Document>> docs =
      deps_.documents->List(after_id, limit + 1, subject_id);
  if (!docs.ok()) return docs.status();
  DocumentPage page;
  for (size_t i = 0; i < docs->size() && i < limit; ++i) {
    page.documents.push_back({(*docs)[i], StateOf((*docs)[i])});
  }
  if (docs->size() > limit) page.next_after = page.documents.back().document.id;
  return page;
}

StatusOr<DeleteResult> DocumentService::Delete(store::DocumentId id) {
  StatusOr<store::Document> doc = deps_.documents->Get(id);
  if (doc.status().code() == Code::kNotFound) return DeleteResult{};
  if (!doc.ok()) return doc.status();
  // Stop the pipeline first, so it does not keep writing while we delete. A running job notices
  // at its next step (or fails on the missing row) and ends as cancelled.
  if (StatusOr<jobs::Job> job = deps_.queue->Get(doc->job_id);
      job.ok() && !jobs::IsTerminal(job->state)) {
    (void)deps_.queue->Cancel(doc->job_id);
  }
  DeleteResult result;
  Status s = deps_.transactor->Run([&](store::WriteTx& tx) -> Status {
    StatusOr<store::DeletedDocument> deleted = deps_.documents->Delete(tx, id);
    if (deleted.status().code() == Code::kNotFound) return Status::Ok();  // a concurrent delete won
    if (!deleted.ok()) return deleted.status();
    SG_RETURN_IF_ERROR(deps_.steps->Clear(tx, IngestPipeline::StepKey(id)));
    result = {true, deleted->chunk_ids.size()};
    tx.AfterCommit([this, blob = deleted->document.blob_path, chunks = deleted->chunk_ids] {
      (void)deps_.blobs->Remove(blob);  // a failure leaves an orphan for the sweeper
      if (deps_.search != nullptr) deps_.search->RemoveChunks(chunks);
    });
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return result;
}

}  // namespace scriptgen::ingest
