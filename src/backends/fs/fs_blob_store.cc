#include "backends/fs/fs_blob_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <random>

namespace scriptgen::fs {
namespace {

namespace stdfs = std::filesystem;

bool ValidKey(const std::string& key) {
  // "ab/<64 hex>-<16 hex>": nothing a caller could use to escape the root.
  if (key.size() < 4 || key[2] != '/') return false;
  for (size_t i = 0; i < key.size(); ++i) {
    const char c = key[i];
    if (i == 2) continue;
    if (!std::isxdigit(static_cast<unsigned char>(c)) && c != '-') return false;
  }
  return true;
}

Status SyncPath(const std::string& path, bool directory) {
  const int fd = ::open(path.c_str(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd < 0) return Unavailable("open " + path + " for fsync failed");
  const int rc = ::fsync(fd);
  ::close(fd);
  return rc == 0 ? Status::Ok() : Unavailable("fsync " + path + " failed");
}

}  // namespace

StatusOr<std::string> FsBlobStore::Adopt(const std::string& staged_path,
                                         const std::string& sha256_hex) {
  if (sha256_hex.size() != 64) return InvalidArgument("blob needs a SHA-256 hex digest");
  std::random_device rd;
  char suffix[17];
  std::snprintf(suffix, sizeof(suffix), "%08x%08x", rd(), rd());
  const std::string key = sha256_hex.substr(0, 2) + "/" + sha256_hex + "-" + suffix;
  const stdfs::path dest = stdfs::path(root_) / key;
  std::error_code ec;
  stdfs::create_directories(dest.parent_path(), ec);
  if (ec) {
    std::string message = "cannot create " + dest.parent_path().string() + ": " + ec.message();
    const bool full = ec == std::errc::no_space_on_device || ec.value() == EDQUOT;
    return full ? StorageFull(std::move(message)) : Unavailable(std::move(message));
  }
  SG_RETURN_IF_ERROR(SyncPath(staged_path, false));
  stdfs::rename(staged_path, dest, ec);
  if (ec) return Unavailable("cannot move upload into the blob store: " + ec.message());
  SG_RETURN_IF_ERROR(SyncPath(dest.parent_path().string(), true));
  return key;
}

StatusOr<std::string> FsBlobStore::LocalPath(const std::string& key) const {
  if (!ValidKey(key)) return InvalidArgument("malformed blob key");
  return (stdfs::path(root_) / key).string();
}

Status FsBlobStore::Remove(const std::string& key) {
  if (!ValidKey(key)) return InvalidArgument("malformed blob key");
  std::error_code ec;
  stdfs::remove(stdfs::path(root_) / key, ec);
  if (ec) return Unavailable("cannot remove blob: " + ec.message());
  return Status::Ok();
}

Status FsBlobStore::ListKeys(const std::function<void(const std::string&)>& fn) const {
  std::error_code ec;
  if (!stdfs::exists(root_, ec)) return Status::Ok();
  for (const auto& dir : stdfs::directory_iterator(root_, ec)) {
    if (!dir.is_directory() || dir.path().filename().string().size() != 2) continue;
    for (const auto& f : stdfs::directory_iterator(dir.path(), ec)) {
      const std::string key = dir.path().filename().string() + "/" + f.path().filename().string();
      if (ValidKey(key)) fn(key);
    }
  }
  if (ec) return Unavailable("cannot list blobs: " + ec.message());
  return Status::Ok();
}

}  // namespace scriptgen::fs
