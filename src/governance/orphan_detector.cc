#include "governance/orphan_detector.h"

#include <filesystem>
#include <unordered_set>

namespace scriptgen::governance {
namespace {

namespace stdfs = std::filesystem;

bool OlderThan(const stdfs::path& p, std::chrono::seconds grace) {
  std::error_code ec;
  const auto mtime = stdfs::last_write_time(p, ec);
  if (ec) return false;
  return stdfs::file_time_type::clock::now() - mtime > grace;
}

}  // namespace

StatusOr<OrphanReport> FindOrphans(store::DocumentStore& documents, store::BlobStore& blobs,
                                   const OrphanScanOptions& options) {
  OrphanReport report;
  std::unordered_set<std::string> referenced;
  SG_RETURN_IF_ERROR(
      documents.ForEachBlobPath([&](const std::string& key) { referenced.insert(key); }));
  std::unordered_set<std::string> present;
  SG_RETURN_IF_ERROR(blobs.ListKeys([&](const std::string& key) { present.insert(key); }));
  for (const std::string& key : present) {
    if (referenced.count(key) != 0) continue;
    StatusOr<std::string> path = blobs.LocalPath(key);
    if (!path.ok() || !OlderThan(*path, options.grace)) continue;
    report.orphan_blobs.push_back(key);
    if (options.fix && blobs.Remove(key).ok()) ++report.removed;
  }
  for (const std::string& key : referenced) {
    if (present.count(key) == 0) report.missing_blobs.push_back(key);
  }
  if (!options.staging_dir.empty()) {
    std::error_code ec;
    for (const auto& entry : stdfs::directory_iterator(options.staging_dir, ec)) {
      if (!entry.is_regular_file() || !OlderThan(entry.path(), options.grace)) continue;
      report.stale_staging_files.push_back(entry.path().string());
      if (options.fix && stdfs::remove(entry.path(), ec)) ++report.removed;
    }
  }
  return report;
}

}  // namespace scriptgen::governance
