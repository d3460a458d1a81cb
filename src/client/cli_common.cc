// Small shared helpers; the token file is read only when no token was given explicitly.
#include "client/cli_common.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <boost/json/serialize.hpp>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace scriptgen::client {

StatusOr<std::string> ResolveToken(const std::string& given) {
  std::string token = given;
  if (token.empty()) {
    std::ifstream in("var/admin.token");
    if (in) {
      std::stringstream ss;
      ss << in.rdbuf();
      token = ss.str();
      while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) {
        token.pop_back();
      }
    }
  }
  for (char c : token) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x21 || u > 0x7e) {
      return InvalidArgument("the token contains spaces or control characters");
    }
  }
  return token;
}

StatusOr<std::unique_ptr<ApiClient>> MakeApiClient(const CommonOptions& options) {
  StatusOr<ServerAddress> address = ParseServerUrl(options.server);
  if (!address.ok()) return address.status();
  StatusOr<std::string> token = ResolveToken(options.token);
  if (!token.ok()) return token.status();
  return std::make_unique<ApiClient>(std::move(*address), std::move(*token));
}

int ExitCode(const Status& status) {
  if (status.ok()) return 0;
  if (status.code() == Code::kUnavailable || status.code() == Code::kDeadlineExceeded) {
    return kExitUnreachable;
  }
  return kExitFailure;
}

int ReportError(const Status& status) {
  std::fprintf(stderr, "scriptgen: %s\n", status.message().c_str());
  return ExitCode(status);
}

void PrintJson(const boost::json::value& v) {
  std::fputs(boost::json::serialize(v).c_str(), stdout);
  std::fputc('\n', stdout);
}

const boost::json::value* Field(const boost::json::value& v, std::string_view key) {
  return v.is_object() ? v.as_object().if_contains(key) : nullptr;
}

std::string StringField(const boost::json::value& v, std::string_view key) {
  const boost::json::value* f = Field(v, key);
  return f != nullptr && f->is_string() ? std::string(f->as_string()) : std::string();
}

int64_t IntField(const boost::json::value& v, std::string_view key) {
  const boost::json::value* f = Field(v, key);
  if (f == nullptr) return 0;
  if (f->is_int64()) return f->as_int64();
  if (f->is_uint64()) return static_cast<int64_t>(f->as_uint64());
  if (f->is_double()) return static_cast<int64_t>(f->as_double());
  return 0;
}

std::string ScalarText(const boost::json::value* v) {
  if (v == nullptr || v->is_null()) return "";
  if (v->is_string()) return std::string(v->as_string());
  return boost::json::serialize(*v);
}

bool StdoutIsTerminal() {
  return isatty(STDOUT_FILENO) == 1;
}

size_t TerminalWidth(size_t fallback) {
  winsize ws{};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return fallback;
}

std::optional<int> FetchListPage(const CommonOptions& common, const std::string& target,
                                 std::string_view key, std::string_view empty_message,
                                 ListPage* page) {
  StatusOr<std::unique_ptr<ApiClient>> api = MakeApiClient(common);
  if (!api.ok()) return ReportError(api.status());
  StatusOr<boost::json::value> r = (*api)->Get(target);
  if (!r.ok()) return ReportError(r.status());
  if (common.json) {
    PrintJson(*r);
    return 0;
  }
  page->body = std::move(*r);
  const boost::json::value* list = Field(page->body, key);
  if (list == nullptr || !list->is_array() || list->as_array().empty()) {
    std::printf("%.*s\n", static_cast<int>(empty_message.size()), empty_message.data());
    return 0;
  }
  page->items = &list->as_array();
  page->next = ScalarText(Field(page->body, "next"));
  return std::nullopt;
}

}  // namespace scriptgen::client
