// The Idempotency-Key an upload is sent with: derived from the file's absolute path, size and
// modification time (and the subject id), so re-running `scriptgen ingest` after an interruption
// maps each unchanged file to the document it already created instead of a duplicate, while an
// edited file (new size or mtime) becomes a new upload.
//
//   std::string key = IdempotencyKey(entry, subject_id);   // "cli-" + 40 hex digits
#pragma once

#include <string>

#include "client/file_walker.h"

namespace scriptgen::client {

std::string IdempotencyKey(const FileEntry& file, const std::string& subject_id);

}  // namespace scriptgen::client
