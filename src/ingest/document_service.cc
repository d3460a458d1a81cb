#include "ingest/document_service.h"

#include <unistd.h>

#include <boost/json/serialize.hpp>

#include "extract/file_security_validator.h"
#include "ingest/ingest_pipeline.h"
#include "obs/service_metrics.h"
#include "search/search_service.h"
#include "text/utf8.h"

namespace scriptgen::ingest {

Status CheckFilename(std::string_view name) {
  if (name.empty() || name.size() > 255) {
    return InvalidArgument("a filename of 1-255 bytes is required (?filename= or X-Filename)");
  }
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) {
      return InvalidArgument("the filename contains a control character");
    }
    if (c == '/' || c == '\\') {
      return InvalidArgument("the filename must not contain '/' or '\\' (no path, just a name)");
    }
  }
  if (name == "." || name == "..") return InvalidArgument("'.' and '..' are not file names");
  if (!text::IsValidUtf8(name)) return InvalidArgument("the filename is not valid UTF-8");
  return Status::Ok();
}

StatusOr<UploadResult> DocumentService::Upload(const UploadRequest& request) {
  auto reject = [&](Status s) {
    ::unlink(request.staged_path.c_str());
    return s;
  };
  if (request.size == 0) return reject(InvalidArgument("the uploaded document is empty"));
  if (Status name = CheckFilename(request.filename); !name.ok()) return reject(name);
  if (request.subject_id.size() > 255) {
    return reject(InvalidArgument("subject_id is longer than 255 bytes"));
  }
  if (request.idempotency_key.size() > 255) {
    return reject(InvalidArgument("Idempotency-Key is longer than 255 bytes"));
  }
  StatusOr<extract::ValidationResult> valid =
      deps_.validator->ValidateFile(request.staged_path, request.mime, request.filename);
  if (deps_.metrics != nullptr) {
    // Label by the type we are sure of: the sniffed one when accepted, else a closed fallback.
    const std::string mime = valid.ok() ? valid->mime : "refused";
    deps_.metrics->file_validation_results_total
        .WithLabels({valid.ok() ? "accepted" : "refused", mime})
        .Inc();
  }
  if (!valid.ok()) return reject(valid.status());
  StatusOr<std::string> key = deps_.blobs->Adopt(request.staged_path, request.sha256_hex);
  if (!key.ok()) return reject(key.status());

  const store::NewDocument doc{.filename = request.filename,
                               .mime = valid->mime,
                               .declared_mime = request.mime,
                               .sha256 = request.sha256_hex,
                               .size = request.size,
                               .subject_id = request.subject_id,
                               .idempotency_key = request.idempotency_key,
                               .blob_path = *key};
  StatusOr<store::DocumentStore::CreateResult> created = deps_.documents->Create(
      doc, [&](store::WriteTx& tx, store::DocumentId id) -> StatusOr<int64_t> {
        jobs::EnqueueRequest job{kIngestJobType, IngestPipeline::PayloadFor(id), ""};
        job.trace_id = request.trace_id;
        job.correlation_id = request.correlation_id;
        StatusOr<jobs::EnqueueResult> r = deps_.queue->EnqueueInTx(tx, job);
        if (!r.ok()) return r.status();
        SG_RETURN_IF_ERROR(Audit(tx, request.actor, "document.upload", id, request.subject_id,
                                 {{"size", static_cast<int64_t>(request.size)},
                                  {"mime", valid->mime},
                                  {"job", "job_" + std::to_string(r->id)}}));
        return r->id;
      });
  // A replay keeps the first upload's blob; a failure keeps nothing.
  if (!created.ok() || !created->created) (void)deps_.blobs->Remove(*key);
  if (!created.ok()) return created.status();
  return UploadResult{created->document, created->created};
}

Status DocumentService::SetLegalHold(store::DocumentId id, bool hold, const std::string& actor) {
  SG_RETURN_IF_ERROR(deps_.documents->SetLegalHold(id, hold));
  if (deps_.audit == nullptr) return Status::Ok();
  return deps_.transactor->Run([&](store::WriteTx& tx) {
    return Audit(tx, actor, hold ? "document.hold" : "document.release", id, "", {});
  });
}

Status DocumentService::Audit(store::WriteTx& tx, const std::string& actor,
                              const std::string& action, store::DocumentId id,
                              const std::string& subject_id, boost::json::object details) {
  if (deps_.audit == nullptr) return Status::Ok();
  // Ids, sizes and a keyed hash of the subject: nothing personal, so erasing the subject later
  // never needs to touch (and so never breaks) the chain.
  if (!subject_id.empty()) {
    details["subject"] = deps_.subject_hash(subject_id);
  }
  store::NewAuditEntry e;
  e.actor = actor.empty() ? "system" : actor;
  e.action = action;
  e.target = "doc_" + std::to_string(id);
  e.details_json = boost::json::serialize(details);
  return deps_.audit->Append(tx, e).status();
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

namespace {

Status NoSuchDocument(store::DocumentId id) {
  return NotFound("document " + std::to_string(id) + " does not exist");
}

bool InScope(const store::Document& doc, const DocumentService::Scope& scope) {
  return !scope || doc.subject_id == *scope;
}

}  // namespace

StatusOr<DocumentView> DocumentService::Get(store::DocumentId id, const Scope& scope) {
  StatusOr<store::Document> doc = deps_.documents->Get(id);
  if (!doc.ok()) return doc.status();
  if (!InScope(*doc, scope)) return NoSuchDocument(id);
  return DocumentView{*doc, StateOf(*doc)};
}

Status DocumentService::CheckJobInScope(int64_t job_id, const Scope& scope) {
  if (!scope) return Status::Ok();
  StatusOr<store::Document> doc = deps_.documents->FindByJob(job_id);
  if (doc.ok() && InScope(*doc, scope)) return Status::Ok();
  if (!doc.ok() && doc.status().code() != Code::kNotFound) return doc.status();
  return NotFound("job " + std::to_string(job_id) + " does not exist");
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

StatusOr<DeleteResult> DocumentService::Delete(store::DocumentId id, const Scope& scope,
                                               const std::string& actor, const AlsoInTx& also) {
  StatusOr<store::Document> doc = deps_.documents->Get(id);
  if (doc.status().code() == Code::kNotFound) {
    if (scope) return NoSuchDocument(id);
    return DeleteResult{};
  }
  if (!doc.ok()) return doc.status();
  if (!InScope(*doc, scope)) return NoSuchDocument(id);
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
    if (also) SG_RETURN_IF_ERROR(also(tx, *deleted));
    SG_RETURN_IF_ERROR(Audit(tx, actor, "document.delete", id, deleted->document.subject_id,
                             {{"chunks", static_cast<int64_t>(deleted->chunk_ids.size())}}));
    result = {true, deleted->chunk_ids.size(), deleted->vectors_by_version};
    tx.AfterCommit([this, blob = deleted->document.blob_path,
                    subject = deleted->document.subject_id, chunks = deleted->chunk_ids] {
      (void)deps_.blobs->Remove(blob);  // a failure leaves an orphan for the sweeper
      if (deps_.search != nullptr) deps_.search->RemoveChunks(subject, chunks);
    });
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return result;
}

}  // namespace scriptgen::ingest
