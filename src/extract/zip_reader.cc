// libzip over an in-memory source. We deliberately do not trust zip_stat's size field for the
// limits: a crafted local header can lie about it, and libzip inflates whatever the deflate stream
// holds. The counts come from zip_fread's return values as we go.
//
// The ratio limit is global (total inflated / archive size), with a grace amount so that small
// archives of highly compressible XML (ratios of 20-50 are normal for DOCX) pass. A single
// 1000:1 entry of zeros is caught after about grace + ratio * archive size bytes of work.
#include "extract/zip_reader.h"

#include <zip.h>

#include <algorithm>

namespace scriptgen::extract {
namespace {

constexpr size_t kChunk = 64 * 1024;

// Why a name is unsafe, or "" if it is fine.
std::string UnsafeName(std::string_view name) {
  if (name.empty()) return "an entry with an empty name";
  if (name.find('\0') != std::string_view::npos) return "an entry name containing a NUL byte";
  if (name.front() == '/') return "an entry with an absolute path";
  if (name.size() >= 2 && name[1] == ':') return "an entry with a drive-letter path";
  if (name.find('\\') != std::string_view::npos) return "an entry name with a backslash";
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string_view::npos) end = name.size();
    if (name.substr(start, end - start) == "..") return "an entry whose path contains '..'";
    start = end + 1;
  }
  return "";
}

std::string Printable(std::string_view name) {
  std::string out;
  for (char c : name.substr(0, 80)) out.push_back(c >= 0x20 && c != 0x7F ? c : '?');
  return out;
}

}  // namespace

StatusOr<std::unique_ptr<ZipReader>> ZipReader::Open(std::string_view bytes, ZipLimits limits) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* src = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  if (src == nullptr) {
    zip_error_fini(&error);
    return Internal("cannot create a zip source");
  }
  zip_t* za = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &error);
  if (za == nullptr) {
    std::string why = zip_error_strerror(&error);
    zip_source_free(src);
    zip_error_fini(&error);
    return InvalidArgument("the file is not a readable ZIP container (" + why +
                           "); a DOCX must be saved by a word processor, e.g. \"Save as .docx\"");
  }
  zip_error_fini(&error);
  std::unique_ptr<ZipReader> reader(new ZipReader(za, bytes, limits));
  const zip_int64_t n = zip_get_num_entries(za, 0);
  if (n < 0) return InvalidArgument("the ZIP container's directory is damaged");
  if (static_cast<uint64_t>(n) > limits.max_entries) {
    return InvalidArgument("the archive has " + std::to_string(n) + " entries, more than the " +
                           std::to_string(limits.max_entries) +
                           " allowed; this looks like an archive bomb, not a document");
  }
  reader->names_.reserve(static_cast<size_t>(n));
  for (zip_int64_t i = 0; i < n; ++i) {
    const char* name = zip_get_name(za, static_cast<zip_uint64_t>(i), ZIP_FL_ENC_RAW);
    if (name == nullptr) return InvalidArgument("the ZIP container has an unreadable entry name");
    std::string_view view(name);
    std::string why = UnsafeName(view);
    if (!why.empty()) {
      return InvalidArgument("the archive contains " + why + " (\"" + Printable(view) +
                             "\"), which could write outside its folder; the file was refused");
    }
    reader->names_.emplace_back(view);
  }
  return reader;
}

ZipReader::~ZipReader() {
  if (archive_ != nullptr) zip_discard(archive_);
}

bool ZipReader::Has(std::string_view name) const {
  return std::find(names_.begin(), names_.end(), name) != names_.end();
}

Status ZipReader::ReadIndex(uint64_t index, std::string* out) {
  zip_file_t* f = zip_fopen_index(archive_, index, 0);
  if (f == nullptr) {
    return InvalidArgument("the archive entry \"" + Printable(names_[index]) +
                           "\" cannot be opened (" + zip_strerror(archive_) + ")");
  }
  std::string buf(kChunk, '\0');
  uint64_t entry_bytes = 0;
  Status status;
  const double archive_bytes = static_cast<double>(std::max<size_t>(bytes_.size(), 1));
  while (true) {
    const zip_int64_t got = zip_fread(f, buf.data(), buf.size());
    if (got < 0) {
      status = InvalidArgument("the archive entry \"" + Printable(names_[index]) +
                               "\" is damaged (" + zip_file_strerror(f) + ")");
      break;
    }
    if (got == 0) break;
    entry_bytes += static_cast<uint64_t>(got);
    total_inflated_ += static_cast<uint64_t>(got);
    if (entry_bytes > limits_.max_entry_inflated || total_inflated_ > limits_.max_total_inflated) {
      status = InvalidArgument(
          "the archive inflates to more than " +
          std::to_string(std::min(limits_.max_entry_inflated, limits_.max_total_inflated) >> 20) +
          " MB (entry \"" + Printable(names_[index]) +
          "\"); this looks like a zip bomb, not a document");
      break;
    }
    if (total_inflated_ > limits_.ratio_grace_bytes &&
        static_cast<double>(total_inflated_) / archive_bytes > limits_.max_ratio) {
      status = InvalidArgument("the archive expands more than " +
                               std::to_string(static_cast<int>(limits_.max_ratio)) +
                               " times its size (entry \"" + Printable(names_[index]) +
                               "\"); this looks like a zip bomb, not a document");
      break;
    }
    if (out != nullptr) out->append(buf.data(), static_cast<size_t>(got));
  }
  zip_fclose(f);
  return status;
}

StatusOr<std::string> ZipReader::Read(std::string_view name) {
  auto it = std::find(names_.begin(), names_.end(), name);
  if (it == names_.end()) return NotFound("no entry " + std::string(name));
  std::string out;
  SG_RETURN_IF_ERROR(ReadIndex(static_cast<uint64_t>(it - names_.begin()), &out));
  return out;
}

Status ZipReader::InflateAll() {
  for (uint64_t i = 0; i < names_.size(); ++i) SG_RETURN_IF_ERROR(ReadIndex(i, nullptr));
  return Status::Ok();
}

}  // namespace scriptgen::extract
