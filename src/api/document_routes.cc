// POST/GET/DELETE /v1/documents. Uploads arrive either as the raw body (Content-Type is the
// document's type, name in ?filename= or X-Filename) or as multipart/form-data with a "file" part.
// Either way the server has already spooled and hashed the bytes; DocumentService validates them
// (415/400 at once rather than a failed job later) and stores them.
#include <boost/json/array.hpp>
#include <filesystem>

#include "api/json_views.h"
#include "api/request_parsing.h"
#include "api/routes_internal.h"
#include "http/multipart.h"
#include "ingest/document_service.h"
#include "obs/logger.h"

namespace scriptgen::api {
namespace {

http::Response UploadResponse(const ingest::UploadResult& r) {
  const std::string doc = PublicId(kDocumentPrefix, r.document.id);
  const std::string job = PublicId(kJobPrefix, r.document.job_id);
  return Json(r.created ? 202 : 200, {{"document_id", doc},
                                      {"job_id", job},
                                      {"created", r.created},
                                      {"document_url", "/v1/documents/" + doc},
                                      {"status_url", "/v1/jobs/" + job},
                                      {"events_url", "/v1/jobs/" + job + "/events"}});
}

http::Response Upload(const ApiServices& s, const ApiOptions& o, http::Request& req,
                      const auth::Principal& who) {
  ingest::UploadRequest up;
  up.subject_id = req.QueryParam("subject_id").value_or("");
  if (!who.is_admin()) {
    // A subject-bound token uploads for its own subject only.
    if (!up.subject_id.empty() && up.subject_id != who.subject_id) {
      return http::ErrorResponse(403, "permission_denied",
                                 "this token may only upload documents of its own subject");
    }
    up.subject_id = who.subject_id;
  }
  up.idempotency_key = req.Header("Idempotency-Key").value_or("");
  const std::string content_type = req.Header("Content-Type").value_or("");
  if (content_type.rfind("multipart/form-data", 0) == 0) {
    StatusOr<http::MultipartFile> part = http::ExtractMultipartFile(req, "file", o.upload_dir);
    if (!part.ok()) return http::ErrorResponse(part.status());
    up.staged_path = part->path;
    up.sha256_hex = part->sha256_hex;
    up.size = part->size;
    up.filename = req.QueryParam("filename")
                      .value_or(std::filesystem::path(part->filename).filename().string());
    up.mime = part->content_type;
  } else {
    up.staged_path = req.body_file;
    up.sha256_hex = req.body_sha256_hex;
    up.size = req.body_size;
    up.filename = req.QueryParam("filename").value_or(req.Header("X-Filename").value_or(""));
    up.mime = content_type;
  }
  // Stored with the ingest job, so the job's log lines carry the request's trace (see
  // RouteTable, which installed the request's ids as this thread's log context).
  up.actor = who.token_id;
  up.trace_id = obs::CurrentLogContext().trace_id;
  up.correlation_id = obs::CurrentLogContext().correlation_id;
  StatusOr<ingest::UploadResult> r = s.documents->Upload(up);
  if (!r.ok()) {
    if (r.status().code() == Code::kAlreadyExists) {
      return http::ErrorResponse(409, "idempotency_conflict", r.status().message());
    }
    return http::ErrorResponse(r.status());
  }
  return UploadResponse(*r);
}

}  // namespace

void AddDocumentRoutes(RouteTable& routes, const ApiServices& s, const ApiOptions& o) {
  http::RouteOptions upload_options;
  upload_options.stream_body_to_file = true;
  upload_options.max_body_bytes = o.max_upload_bytes;
  routes.Add(
      "POST", "/v1/documents", Access::kWrite,
      [s, o](http::Request& req, const auth::Principal& who) {
        // Back-pressure: over the queue-depth limit new work is refused before anything is
        // stored; reads go on. 503 with Retry-After, which `scriptgen ingest` honours.
        if (s.admit_upload) {
          if (Status admitted = s.admit_upload(); !admitted.ok()) {
            return http::ErrorResponse(admitted);
          }
        }
        return Upload(s, o, req, who);
      },
      upload_options);

  routes.Add(
      "GET", "/v1/documents", Access::kRead, [s](http::Request& req, const auth::Principal& who) {
        StatusOr<Paging> p = ParsePaging(req);
        if (!p.ok()) return http::ErrorResponse(p.status());
        std::optional<std::string> subject = req.QueryParam("subject_id");
        if (!who.is_admin()) {
          if (subject && *subject != who.subject_id) {
            return Json(200, {{"documents", boost::json::array()}, {"next", nullptr}});
          }
          subject = who.subject_id;
        }
        StatusOr<ingest::DocumentPage> page = s.documents->List(p->after_id, p->limit, subject);
        if (!page.ok()) return http::ErrorResponse(page.status());
        boost::json::array docs;
        for (const ingest::DocumentView& v : page->documents) docs.push_back(DocumentJson(v));
        boost::json::value next = nullptr;
        if (page->next_after) next = std::to_string(*page->next_after);
        return Json(200, {{"documents", std::move(docs)}, {"next", next}});
      });

  routes.Add("GET", "/v1/documents/{id}", Access::kRead,
             [s](http::Request& req, const auth::Principal& who) {
               StatusOr<int64_t> id =
                   ParsePublicId(req.path_params.at("id"), kDocumentPrefix, "document");
               if (!id.ok()) return http::ErrorResponse(id.status());
               StatusOr<ingest::DocumentView> v = s.documents->Get(*id, who.subject_scope());
               if (!v.ok()) return http::ErrorResponse(v.status());
               return Json(200, DocumentJson(*v));
             });

  routes.Add("DELETE", "/v1/documents/{id}", Access::kWrite,
             [s](http::Request& req, const auth::Principal& who) {
               StatusOr<int64_t> id =
                   ParsePublicId(req.path_params.at("id"), kDocumentPrefix, "document");
               if (!id.ok()) return http::ErrorResponse(id.status());
               StatusOr<ingest::DeleteResult> r =
                   s.documents->Delete(*id, who.subject_scope(), who.token_id);
               if (!r.ok()) return http::ErrorResponse(r.status());
               return Json(200, {{"document_id", PublicId(kDocumentPrefix, *id)},
                                 {"deleted", r->deleted},
                                 {"chunks_removed", r->chunks_removed}});
             });
}

}  // namespace scriptgen::api
