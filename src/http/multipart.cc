// Streaming multipart/form-data parser (RFC 7578 / RFC 2046), specialised to "find one part".
//
// Design: the body is read in 64 KiB chunks into a small window. Conceptually the body is
// prefixed with CRLF so that every boundary, including the first, is the same delimiter
// "\r\n--<boundary>". In a part's content we search the window for the delimiter; bytes that
// cannot be the start of a delimiter (all but the last |delimiter|-1) are written out (or
// discarded, outside the wanted part), so memory stays O(chunk + delimiter) for any part size.
// Part headers are bounded (16 KiB) to refuse garbage early. We stop as soon as the wanted part
// is complete: validating the rest would cost a full read for no benefit to the caller.
#include "http/multipart.h"

#include <fcntl.h>
#include <strings.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <map>
#include <optional>

#include "http/hashing_file_writer.h"

namespace scriptgen::http {
namespace {

constexpr size_t kChunk = 64 * 1024;
constexpr size_t kMaxPartHeaders = 16 * 1024;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// A header value like `form-data; name="file"; filename="a b.txt"`: the leading token (lowercased)
// and the parameters (keys lowercased, quoted strings unquoted).
struct HeaderValue {
  std::string token;
  std::map<std::string, std::string> params;
};

std::optional<HeaderValue> ParseHeaderValue(std::string_view v) {
  HeaderValue out;
  size_t semi = v.find(';');
  out.token = Lower(Trim(v.substr(0, semi)));
  size_t i = semi == std::string_view::npos ? v.size() : semi + 1;
  while (i < v.size()) {
    while (i < v.size() && (v[i] == ' ' || v[i] == '\t' || v[i] == ';')) ++i;
    if (i >= v.size()) break;
    size_t eq = v.find('=', i);
    if (eq == std::string_view::npos) return std::nullopt;
    std::string key = Lower(Trim(v.substr(i, eq - i)));
    i = eq + 1;
    while (i < v.size() && (v[i] == ' ' || v[i] == '\t')) ++i;
    std::string value;
    if (i < v.size() && v[i] == '"') {
      ++i;
      bool closed = false;
      while (i < v.size()) {
        char c = v[i++];
        if (c == '\\' && i < v.size()) {
          value.push_back(v[i++]);
        } else if (c == '"') {
          closed = true;
          break;
        } else {
          value.push_back(c);
        }
      }
      if (!closed) return std::nullopt;
    } else {
      size_t end = v.find(';', i);
      value = std::string(Trim(v.substr(i, end == std::string_view::npos ? end : end - i)));
      i = end == std::string_view::npos ? v.size() : end;
    }
    if (key.empty()) return std::nullopt;
    out.params[key] = std::move(value);
  }
  return out;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 5987 ext-value: charset'language'percent-encoded. We return the bytes as decoded (UTF-8 is
// the only charset clients use in practice).
std::optional<std::string> DecodeExtValue(std::string_view v) {
  size_t q1 = v.find('\'');
  if (q1 == std::string_view::npos) return std::nullopt;
  size_t q2 = v.find('\'', q1 + 1);
  if (q2 == std::string_view::npos) return std::nullopt;
  std::string out;
  for (size_t i = q2 + 1; i < v.size(); ++i) {
    if (v[i] != '%') {
      out.push_back(v[i]);
      continue;
    }
    if (i + 2 >= v.size()) return std::nullopt;
    int hi = HexDigit(v[i + 1]), lo = HexDigit(v[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

// Reads the body in chunks: from a file, or from an in-memory string.
class BodySource {
 public:
  explicit BodySource(int fd) : fd_(fd) {}
  explicit BodySource(std::string_view mem) : mem_(mem) {}
  ~BodySource() {
    if (fd_ >= 0) ::close(fd_);
  }
  BodySource(const BodySource&) = delete;
  BodySource& operator=(const BodySource&) = delete;

  // Appends up to kChunk bytes to `buf`; false at end of input. I/O errors set status().
  bool ReadMore(std::string& buf) {
    if (fd_ < 0) {
      if (mem_.empty()) return false;
      size_t n = std::min(kChunk, mem_.size());
      buf.append(mem_.substr(0, n));
      mem_.remove_prefix(n);
      return true;
    }
    size_t old = buf.size();
    buf.resize(old + kChunk);
    ssize_t n;
    do {
      n = ::read(fd_, buf.data() + old, kChunk);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      status_ = Internal(std::string("read multipart body: ") + std::strerror(errno));
      n = 0;
    }
    buf.resize(old + static_cast<size_t>(n));
    return n > 0;
  }
  const Status& status() const { return status_; }

 private:
  int fd_ = -1;
  std::string_view mem_;
  Status status_;
};

Status Malformed(std::string_view why) {
  return InvalidArgument("malformed multipart body: " + std::string(why));
}

StatusOr<MultipartFile> Extract(BodySource& src, std::string_view content_type,
                                std::string_view field_name, const std::string& out_dir) {
  auto ct = ParseHeaderValue(content_type);
  if (!ct || ct->token != "multipart/form-data") {
    return InvalidArgument("expected Content-Type multipart/form-data");
  }
  auto b = ct->params.find("boundary");
  if (b == ct->params.end() || b->second.empty() || b->second.size() > 70) {
    return InvalidArgument("multipart/form-data without a valid boundary parameter");
  }
  const std::string delim = "\r\n--" + b->second;

  enum class State { kContent, kAfterDelimiter, kHeaders };
  State state = State::kContent;  // the preamble is content nobody wants
  std::optional<HashingFileWriter> out;
  MultipartFile result;
  std::string buf = "\r\n";  // virtual CRLF before the first boundary
  bool eof = false;
  auto more = [&]() -> bool {
    if (eof) return false;
    if (!src.ReadMore(buf)) eof = true;
    return !eof;
  };
  auto ensure = [&](size_t n) {
    while (buf.size() < n && more()) {
    }
    return buf.size() >= n;
  };

  while (true) {
    if (!src.status().ok()) return src.status();
    switch (state) {
      case State::kContent: {
        size_t pos = buf.find(delim);
        if (pos != std::string::npos) {
          if (out) {
            SG_RETURN_IF_ERROR(out->Write(std::string_view(buf).substr(0, pos)));
            SG_RETURN_IF_ERROR(out->Finish());
            result.path = out->path();
            result.sha256_hex = out->sha256_hex();
            result.size = out->size();
            return result;
          }
          buf.erase(0, pos + delim.size());
          state = State::kAfterDelimiter;
          break;
        }
        size_t keep = delim.size() - 1;
        if (buf.size() > keep) {
          if (out)
            SG_RETURN_IF_ERROR(out->Write(std::string_view(buf).substr(0, buf.size() - keep)));
          buf.erase(0, buf.size() - keep);
        }
        if (!more()) {
          if (!src.status().ok()) return src.status();
          return Malformed("truncated (no closing boundary)");
        }
        break;
      }
      case State::kAfterDelimiter: {
        if (!ensure(2)) return Malformed("truncated after boundary");
        if (buf.compare(0, 2, "--") == 0) {
          return InvalidArgument("multipart body has no part named \"" + std::string(field_name) +
                                 "\"");
        }
        size_t i = 0;
        while (true) {
          if (!ensure(i + 2)) return Malformed("truncated after boundary");
          if (buf[i] == ' ' || buf[i] == '\t') {
            ++i;
            continue;
          }
          break;
        }
        if (buf.compare(i, 2, "\r\n") != 0) return Malformed("boundary line not ended by CRLF");
        buf.erase(0, i + 2);
        state = State::kHeaders;
        break;
      }
      case State::kHeaders: {
        size_t end;
        size_t skip;
        if (!ensure(2)) return Malformed("truncated part headers");
        if (buf.compare(0, 2, "\r\n") == 0) {
          end = 0;
          skip = 2;
        } else {
          end = buf.find("\r\n\r\n");
          if (end == std::string::npos) {
            if (buf.size() > kMaxPartHeaders) return Malformed("part headers too large");
            if (!more()) return Malformed("truncated part headers");
            break;
          }
          skip = 4;
        }
        if (end > kMaxPartHeaders) return Malformed("part headers too large");
        std::string_view headers = std::string_view(buf).substr(0, end);
        std::optional<HeaderValue> disposition;
        std::string part_type;
        while (!headers.empty()) {
          size_t eol = headers.find("\r\n");
          std::string_view line = headers.substr(0, eol);
          headers.remove_prefix(eol == std::string_view::npos ? headers.size() : eol + 2);
          size_t colon = line.find(':');
          if (colon == std::string_view::npos || colon == 0) return Malformed("bad part header");
          std::string name = Lower(Trim(line.substr(0, colon)));
          std::string_view value = Trim(line.substr(colon + 1));
          if (name == "content-disposition") {
            disposition = ParseHeaderValue(value);
            if (!disposition) return Malformed("bad Content-Disposition");
          } else if (name == "content-type") {
            part_type = std::string(value);
          }
        }
        if (disposition && disposition->token == "form-data") {
          auto name = disposition->params.find("name");
          if (name != disposition->params.end() && name->second == field_name) {
            auto ext = disposition->params.find("filename*");
            std::optional<std::string> fname;
            if (ext != disposition->params.end()) fname = DecodeExtValue(ext->second);
            if (!fname) {
              auto plain = disposition->params.find("filename");
              if (plain != disposition->params.end()) fname = plain->second;
            }
            result.filename = fname.value_or("");
            result.content_type = part_type;
            auto w = HashingFileWriter::Create(out_dir, "part-");
            if (!w.ok()) return w.status();
            out.emplace(std::move(*w));
          }
        }
        buf.erase(0, end + skip);
        state = State::kContent;
        break;
      }
    }
  }
}

}  // namespace

StatusOr<MultipartFile> ExtractMultipartFileFromPath(const std::string& body_path,
                                                     std::string_view content_type,
                                                     std::string_view field_name,
                                                     const std::string& out_dir) {
  int fd = ::open(body_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Internal("open " + body_path + ": " + std::strerror(errno));
  BodySource src(fd);
  return Extract(src, content_type, field_name, out_dir);
}

StatusOr<MultipartFile> ExtractMultipartFile(const Request& request, std::string_view field_name,
                                             const std::string& out_dir) {
  std::string content_type = request.Header("Content-Type").value_or("");
  if (!request.body_file.empty()) {
    return ExtractMultipartFileFromPath(request.body_file, content_type, field_name, out_dir);
  }
  BodySource src{std::string_view(request.body)};
  return Extract(src, content_type, field_name, out_dir);
}

}  // namespace scriptgen::http
