// ExtractMultipartFile: pulls one file field out of a multipart/form-data request body, streaming.
//
// Meant for upload routes with RouteOptions::stream_body_to_file: the body is already on disk in
// Request::body_file, and this copies the named part's bytes into a new file in `out_dir`
// (computing its SHA-256) with constant memory, whatever the part's size. It also works on a body
// held in Request::body.
//
//   auto part = ExtractMultipartFile(req, "file", staging_dir);
//   if (!part.ok()) return ErrorResponse(part.status());        // malformed -> 400
//   // part->path now belongs to the caller: rename it into place or unlink it.
//
// The boundary comes from the request's Content-Type. The first part whose Content-Disposition
// name equals `field_name` is extracted; parsing stops there, so later parts are not validated.
// Errors: InvalidArgument if the request is not multipart/form-data, the body is malformed or
// truncated, or no such field exists; Internal for I/O errors. No file is left behind on error.
// Thread-safe (no shared state); it does blocking file I/O, so call it from a handler.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "http/request.h"
#include "util/status.h"

namespace scriptgen::http {

struct MultipartFile {
  std::string path;        // the new file in out_dir (caller owns it)
  std::string sha256_hex;  // lowercase hex SHA-256 of the part's content
  uint64_t size = 0;
  // From Content-Disposition (RFC 5987 filename* preferred, percent-decoded), exactly as sent:
  // may be empty or contain path separators; sanitise before using it in a path.
  std::string filename;
  std::string content_type;  // the part's Content-Type; empty if the part did not send one
};

StatusOr<MultipartFile> ExtractMultipartFile(const Request& request, std::string_view field_name,
                                             const std::string& out_dir);

// The same, for a body given as a file path and the request's Content-Type value.
StatusOr<MultipartFile> ExtractMultipartFileFromPath(const std::string& body_path,
                                                     std::string_view content_type,
                                                     std::string_view field_name,
                                                     const std::string& out_dir);

}  // namespace scriptgen::http
