// The tally of deleted items is a JSON object in the request row ({"documents":n,"chunks":n,
// "files":n,"vectors":{"hash-v1-384":n}}), rewritten in each delete's transaction. Erasure is
// idempotent: a re-delivered job finds fewer (or no) documents and continues from the tally.
#include "governance/erase_service.h"

#include <openssl/rand.h>

#include <boost/json.hpp>
#include <filesystem>

#include "governance/certificate.h"
#include "jobs/error_class.h"
#include "jobs/subject_read.h"
#include "util/time_format.h"

namespace scriptgen::governance {
namespace {

std::string NewRequestId() {
  unsigned char bytes[8];
  RAND_bytes(bytes, sizeof(bytes));
  static const char* kHex = "0123456789abcdef";
  std::string id = "era_";
  for (unsigned char b : bytes) {
    id += kHex[b >> 4];
    id += kHex[b & 15];
  }
  return id;
}

StoreCounts CountsFromJson(const std::string& text) {
  StoreCounts c;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  if (ec || !v.is_object()) return c;
  const boost::json::object& o = v.as_object();
  auto num = [&](const char* k) {
    const boost::json::value* x = o.if_contains(k);
    return x != nullptr && x->is_int64() ? x->as_int64() : int64_t{0};
  };
  c.documents = num("documents");
  c.chunks = num("chunks");
  c.files = num("files");
  c.cache_entries = num("cache_entries");
  if (const boost::json::value* vs = o.if_contains("vectors"); vs != nullptr && vs->is_object()) {
    for (const auto& [version, n] : vs->as_object()) {
      if (n.is_int64()) c.vectors[std::string(version)] = n.as_int64();
    }
  }
  return c;
}

std::string CountsToJson(const StoreCounts& c) {
  boost::json::object vectors;
  for (const auto& [version, n] : c.vectors) vectors[version] = n;
  return boost::json::serialize(boost::json::object{{"documents", c.documents},
                                                    {"chunks", c.chunks},
                                                    {"files", c.files},
                                                    {"cache_entries", c.cache_entries},
                                                    {"vectors", std::move(vectors)}});
}

StatusOr<std::string> ParsePayload(const std::string& payload) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(payload, ec);
  if (ec || !v.is_object()) return InvalidArgument("erase payload is not a JSON object");
  const boost::json::value* id = v.as_object().if_contains("request_id");
  if (id == nullptr || !id->is_string()) return InvalidArgument("erase payload lacks request_id");
  return std::string(id->as_string().c_str());
}

}  // namespace

StatusOr<store::EraseRequest> EraseService::Request(const EraseRequestInput& in) {
  if (in.subject_id.empty() || in.subject_id.size() > 255) {
    return InvalidArgument("\"subject_id\" must be 1-255 bytes");
  }
  if (in.confirm != in.subject_id) {
    return InvalidArgument(
        "\"confirm\" must repeat the subject_id exactly: an erasure cannot be undone");
  }
  if (in.reason.find_first_not_of(" \t\r\n") == std::string::npos || in.reason.size() > 1000) {
    return InvalidArgument("\"reason\" is required (at most 1000 bytes): say why, e.g. a ticket");
  }
  store::EraseRequest r;
  r.id = NewRequestId();
  r.subject_id = in.subject_id;
  r.subject_hash = SubjectHash(deps_.subject_key, in.subject_id);
  r.reason = in.reason;
  r.actor = in.actor.empty() ? "admin" : in.actor;
  r.state = "pending";
  r.requested_ms = deps_.clock->NowMs();
  Status s = deps_.transactor->Run([&](store::WriteTx& tx) -> Status {
    SG_RETURN_IF_ERROR(deps_.erases->Insert(tx, r));
    jobs::EnqueueRequest job{kEraseJobType,
                             boost::json::serialize(boost::json::object{{"request_id", r.id}}),
                             "erase:" + r.id};
    job.trace_id = in.trace_id;
    job.correlation_id = in.correlation_id;
    StatusOr<jobs::EnqueueResult> queued = deps_.queue->EnqueueInTx(tx, job);
    if (!queued.ok()) return queued.status();
    store::NewAuditEntry e;
    e.actor = r.actor;
    e.action = "subject.erase.request";
    e.target = "subject:" + r.subject_hash;
    e.details_json = boost::json::serialize(boost::json::object{{"request_id", r.id}});
    StatusOr<store::AuditEntry> entry = deps_.audit->Append(tx, e);
    if (!entry.ok()) return entry.status();
    r.job_id = queued->id;
    r.audit_from_seq = entry->seq;
    return deps_.erases->Attach(tx, r.id, r.job_id, r.audit_from_seq);
  });
  if (!s.ok()) return s;
  return r;
}

Status EraseService::RunJob(jobs::JobContext& ctx) {
  StatusOr<std::string> id = ParsePayload(ctx.job().payload);
  if (!id.ok()) return id.status();
  StatusOr<store::EraseRequest> request =
      jobs::ReadJobSubject<store::EraseRequest>(ctx, [&] { return deps_.erases->Get(*id); });
  if (!request.ok()) return request.status();
  if (request->state == "done") return Status::Ok();  // re-delivered after completion
  Status s = Erase(ctx, *request);
  if (!s.ok() && !jobs::IsRetryable(jobs::ClassifyStatus(s))) {
    (void)deps_.erases->Fail(*id, s.message());
  }
  return s;
}

Status EraseService::Erase(jobs::JobContext& ctx, const store::EraseRequest& request) {
  StatusOr<std::vector<store::DocumentId>> docs =
      deps_.documents->DocumentsOfSubject(request.subject_id);
  if (!docs.ok()) return docs.status();
  StoreCounts tally = CountsFromJson(request.deleted_json);
  std::vector<std::string> blobs;  // of this run, to check they are gone
  for (size_t i = 0; i < docs->size(); ++i) {
    const store::DocumentId doc = (*docs)[i];
    StatusOr<ingest::DeleteResult> r = deps_.document_service->Delete(
        doc, std::nullopt, "system:erase",
        [&](store::WriteTx& tx, const store::DeletedDocument& d) -> Status {
          StoreCounts next = tally;
          next.documents += 1;
          next.chunks += static_cast<int64_t>(d.chunk_ids.size());
          next.files += 1;  // the document's blob
          for (const auto& [version, n] : d.vectors_by_version) next.vectors[version] += n;
          SG_RETURN_IF_ERROR(deps_.erases->SetTally(tx, request.id, CountsToJson(next)));
          tally = std::move(next);
          blobs.push_back(d.document.blob_path);
          return Status::Ok();
        });
    if (!r.ok()) return r.status();
    ctx.ReportProgress(
        "erase", static_cast<int>(90 * (i + 1) / docs->size()),
        std::to_string(i + 1) + " of " + std::to_string(docs->size()) + " documents");
  }
  if (deps_.compact_store) SG_RETURN_IF_ERROR(deps_.compact_store());

  // The re-query check: nothing of the subject may be left in any store.
  StoreCounts remaining;
  StatusOr<store::SubjectFootprint> left = deps_.documents->FootprintOfSubject(request.subject_id);
  if (!left.ok()) return left.status();
  remaining.documents = left->documents;
  remaining.chunks = left->chunks + left->texts;
  if (left->vectors > 0) remaining.vectors["all"] = left->vectors;
  for (const std::string& blob : blobs) {
    StatusOr<std::string> path = deps_.blobs->LocalPath(blob);
    std::error_code ec;
    if (path.ok() && std::filesystem::exists(*path, ec)) ++remaining.files;
  }
  if (remaining.Total() != 0) {
    return Internal("erase " + request.id + ": data of the subject remains after deletion");
  }

  Status s = deps_.transactor->Run([&](store::WriteTx& tx) -> Status {
    store::NewAuditEntry e;
    e.actor = "system:erase";
    e.action = "subject.erase.complete";
    e.target = "subject:" + request.subject_hash;
    e.details_json = boost::json::serialize(boost::json::object{
        {"request_id", request.id}, {"deleted", boost::json::parse(CountsToJson(tally))}});
    StatusOr<store::AuditEntry> entry = deps_.audit->Append(tx, e);
    if (!entry.ok()) return entry.status();
    DeletionCertificate c;
    c.request_id = request.id;
    c.subject_hash = request.subject_hash;
    c.requested_at = FormatTimestampMs(request.requested_ms);
    const int64_t now = deps_.clock->NowMs();
    c.completed_at = FormatTimestampMs(now);
    c.deleted = tally;
    c.remaining = remaining;
    c.audit_from_seq = request.audit_from_seq;
    c.audit_to_seq = entry->seq;
    c.audit_head_hash = entry->hash_hex;
    return deps_.erases->Complete(tx, request.id, now, SignCertificateText(c, *deps_.signer));
  });
  if (!s.ok()) return s;
  ctx.ReportProgress("erase", 100, "certificate signed");
  // Completing cleared the raw subject id from the request row: compact once more.
  return deps_.compact_store ? deps_.compact_store() : Status::Ok();
}

}  // namespace scriptgen::governance
