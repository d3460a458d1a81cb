// ZipReader opens a ZIP container held in memory (libzip) and reads its entries under limits that
// defend against zip bombs and path traversal. It is the DOCX half of FileSecurityValidator and
// the DOCX extractor's only way into the container.
//
// Limits are enforced on bytes actually inflated, never on sizes the archive declares: entries are
// read in 64 KB chunks and reading stops as soon as the entry count, the total inflated bytes or
// the inflate ratio (inflated bytes / archive bytes, checked once past ratio_grace_bytes) crosses
// its limit. libzip verifies each entry's CRC when it is read to the end.
//
// Entry names with an absolute path ("/x", "C:x"), a backslash, a ".." component, or a NUL are
// refused at Open, whether or not anyone reads them.
//
//   ZipLimits limits;  // defaults suit DOCX
//   StatusOr<std::unique_ptr<ZipReader>> zip = ZipReader::Open(bytes, limits);
//   if (!zip.ok()) return zip.status();
//   StatusOr<std::string> xml = (*zip)->Read("word/document.xml");
//
// Every refusal is kInvalidArgument (a malformed or hostile container is bad input), with a
// message naming what was found. The reader keeps a view of bytes: they must outlive it. One
// reader must not be used from two threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

struct zip;  // libzip

namespace scriptgen::extract {

struct ZipLimits {
  uint64_t max_entries = 5000;
  uint64_t max_total_inflated = 256ull << 20;  // across all reads of one reader
  uint64_t max_entry_inflated = 128ull << 20;  // one entry
  double max_ratio = 100;                      // inflated bytes per archive byte
  uint64_t ratio_grace_bytes = 1 << 20;        // ratio checked once this much was inflated
};

class ZipReader {
 public:
  static StatusOr<std::unique_ptr<ZipReader>> Open(std::string_view bytes, ZipLimits limits);
  ~ZipReader();
  ZipReader(const ZipReader&) = delete;
  ZipReader& operator=(const ZipReader&) = delete;

  const std::vector<std::string>& names() const { return names_; }
  bool Has(std::string_view name) const;
  // Inflates one entry (counts against the limits). NotFound if there is no such entry.
  StatusOr<std::string> Read(std::string_view name);
  // Inflates every entry, discarding the bytes: proves the whole archive stays within limits.
  Status InflateAll();
  uint64_t total_inflated() const { return total_inflated_; }

 private:
  ZipReader(zip* archive, std::string_view bytes, ZipLimits limits)
      : archive_(archive), bytes_(bytes), limits_(limits) {}
  // Inflates entry index into out (nullptr: discard).
  Status ReadIndex(uint64_t index, std::string* out);

  zip* archive_;
  std::string_view bytes_;
  ZipLimits limits_;
  std::vector<std::string> names_;
  uint64_t total_inflated_ = 0;
};

}  // namespace scriptgen::extract
