// libFuzzer: ExtractHtml on arbitrary bytes must never crash, hang or leak, and must return valid
// UTF-8 text and consistent sections when it succeeds.
#include <cstddef>
#include <cstdint>

#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace scriptgen::extract;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  fuzz::CheckExtracted(ExtractHtml(bytes, fuzz::SmallOptions()));
  return 0;
}
