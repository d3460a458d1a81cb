// Checks that a document's bytes are something the text pipeline can process: UTF-8 text or
// Markdown. Until the document-formats issue brings content sniffing (libmagic) this is the
// allow-list: declared type text/plain or text/markdown (or no useful declaration and a .txt/.md
// name), and content that is valid UTF-8 without NUL bytes.
#pragma once

#include <string>
#include <string_view>

#include "util/status.h"

namespace scriptgen::ingest {

// Unsupported unless the declared type (or, for a vague type, the file name) is text or Markdown.
// Checked at upload time, so a client learns at once (415) rather than from a failed job.
Status CheckDeclaredType(std::string_view declared_mime, std::string_view filename);

// CheckDeclaredType plus the content: Unsupported for binary bytes, InvalidArgument for bytes that
// are not valid UTF-8.
Status ValidateTextDocument(std::string_view declared_mime, std::string_view filename,
                            std::string_view head_bytes);

// Strips a UTF-8 byte-order mark and normalises CRLF / CR line ends to LF.
std::string NormalizeText(std::string_view raw);

bool IsValidUtf8(std::string_view s);

}  // namespace scriptgen::ingest
