// libFuzzer: FileSecurityValidator on arbitrary bytes (with each declared type in turn) must never
// crash, hang or leak; whatever it accepts must be an allow-listed type that Extract handles.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "extract/file_security_validator.h"
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace scriptgen::extract;
  static const FileSecurityValidator* validator = [] {
    ValidationOptions o;
    o.zip.max_total_inflated = 16 << 20;
    o.zip.max_entry_inflated = 16 << 20;
    return new FileSecurityValidator(o);
  }();
  static const char* kNames[][2] = {
      {"text/plain", "a.txt"},
      {"text/markdown", "a.md"},
      {"application/pdf", "a.pdf"},
      {kMimeDocx.data(), "a.docx"},  // kMimeDocx views a literal, so it is NUL-terminated
      {"", "a.html"}};
  if (size == 0) return 0;
  const auto& declared = kNames[data[0] % 5];
  std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  scriptgen::StatusOr<ValidationResult> r = validator->Validate(bytes, declared[0], declared[1]);
  if (!r.ok()) {
    if (r.status().code() != scriptgen::Code::kUnsupported &&
        r.status().code() != scriptgen::Code::kInvalidArgument) {
      std::abort();
    }
    return 0;
  }
  const auto& allowed = validator->options().allowed_mime;
  if (std::find(allowed.begin(), allowed.end(), r->mime) == allowed.end()) std::abort();
  fuzz::CheckExtracted(Extract(r->mime, bytes, fuzz::SmallOptions()));
  return 0;
}
