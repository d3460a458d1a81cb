// CollectFiles: turns the PATH... arguments of `scriptgen ingest` into the list of files to upload.
//
//   WalkResult w = CollectFiles({"docs", "extra/notes.md"});
//   for (const FileEntry& f : w.files) Upload(f.path);   // w.errors: paths that do not exist etc.
//
// - A file argument is taken as is (even if its name starts with a dot: it was asked for).
// - A directory is walked recursively; entries whose name starts with '.' (files and whole
//   directories) are skipped, as are non-regular files. Directory symlinks are not followed.
// - Files come out sorted by path within each argument, arguments in the order given; a file
//   reached twice (overlapping arguments) is listed once.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace scriptgen::client {

struct FileEntry {
  std::filesystem::path path;  // as walked (relative if the argument was)
  uint64_t size = 0;
  int64_t mtime_ns = 0;  // last modification, nanoseconds since the file clock's epoch
};

struct WalkResult {
  std::vector<FileEntry> files;
  std::vector<std::string> errors;  // "cannot read 'x': No such file or directory"
};

WalkResult CollectFiles(const std::vector<std::string>& inputs);

}  // namespace scriptgen::client
