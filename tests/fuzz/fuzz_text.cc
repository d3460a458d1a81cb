// libFuzzer: charset detection/conversion and the text and Markdown extractors. The first byte
// picks a charset hint, so conversion paths other than detection are exercised too.
#include <cstddef>
#include <cstdint>

#include "extract/text_decoding.h"
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace scriptgen::extract;
  if (size == 0) return 0;
  static const char* kHints[] = {"",         "",          "UTF-8",        "euc-kr",
                                 "UTF-16BE", "Shift_JIS", "windows-1252", "UTF-32LE"};
  ExtractOptions o = fuzz::SmallOptions();
  o.charset_hint = kHints[data[0] % (sizeof(kHints) / sizeof(kHints[0]))];
  std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  DecodedText d = DecodeText(bytes, o.charset_hint);
  if (!scriptgen::text::IsValidUtf8(d.utf8)) std::abort();
  if (!scriptgen::text::IsValidUtf8(NormalizeText(bytes))) std::abort();
  fuzz::CheckExtracted(ExtractPlainText(bytes, o));
  fuzz::CheckExtracted(ExtractMarkdown(bytes, o));
  return 0;
}
