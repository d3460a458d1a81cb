// std::filesystem::recursive_directory_iterator with disable_recursion_pending() for hidden
// directories; errors are collected per argument instead of aborting the whole walk.
#include "client/file_walker.h"

#include <algorithm>
#include <chrono>
#include <set>
#include <system_error>

namespace scriptgen::client {
namespace {

namespace fs = std::filesystem;

bool Hidden(const fs::path& p) {
  const std::string name = p.filename().string();
  return !name.empty() && name.front() == '.';
}

bool MakeEntry(const fs::path& p, FileEntry* out, std::string* error) {
  std::error_code ec;
  const uintmax_t size = fs::file_size(p, ec);
  if (ec) {
    *error = "cannot read '" + p.string() + "': " + ec.message();
    return false;
  }
  const fs::file_time_type mtime = fs::last_write_time(p, ec);
  if (ec) {
    *error = "cannot read '" + p.string() + "': " + ec.message();
    return false;
  }
  out->path = p;
  out->size = size;
  out->mtime_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(mtime.time_since_epoch()).count();
  return true;
}

}  // namespace

WalkResult CollectFiles(const std::vector<std::string>& inputs) {
  WalkResult result;
  std::set<fs::path> seen;  // canonical paths already listed
  auto add = [&](const fs::path& p) {
    std::error_code ec;
    fs::path canonical = fs::weakly_canonical(p, ec);
    if (ec) canonical = fs::absolute(p, ec);
    if (!seen.insert(canonical).second) return;
    FileEntry e;
    std::string error;
    if (MakeEntry(p, &e, &error)) {
      result.files.push_back(std::move(e));
    } else {
      result.errors.push_back(std::move(error));
    }
  };

  for (const std::string& input : inputs) {
    const fs::path root(input);
    std::error_code ec;
    const fs::file_status st = fs::status(root, ec);
    if (ec || !fs::exists(st)) {
      result.errors.push_back("cannot read '" + input +
                              "': " + (ec ? ec.message() : "No such file or directory"));
      continue;
    }
    if (fs::is_regular_file(st)) {
      add(root);
      continue;
    }
    if (!fs::is_directory(st)) {
      result.errors.push_back("'" + input + "' is neither a file nor a directory");
      continue;
    }
    std::vector<fs::path> found;
    fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
    if (ec) {
      result.errors.push_back("cannot read '" + input + "': " + ec.message());
      continue;
    }
    for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) {
        result.errors.push_back("cannot read '" + it->path().string() + "': " + ec.message());
        break;
      }
      const fs::path& p = it->path();
      if (Hidden(p)) {
        if (it->is_directory(ec)) it.disable_recursion_pending();
        continue;
      }
      if (it->is_regular_file(ec)) found.push_back(p);
    }
    std::sort(found.begin(), found.end());
    for (const fs::path& p : found) add(p);
  }
  return result;
}

}  // namespace scriptgen::client
