// What every client command shares: the --server/--token/--json options, building an ApiClient
// from them, reading fields out of responses, and the one way errors reach the user.
//
//   int RunSomething(const CommonOptions& c) {
//     StatusOr<std::unique_ptr<ApiClient>> api = MakeApiClient(c);
//     if (!api.ok()) return ReportError(api.status());
//     StatusOr<boost::json::value> v = (*api)->Get("/v1/jobs");
//     if (!v.ok()) return ReportError(v.status());   // "scriptgen: not_found: ... (HTTP 404)"
//     ...
//   }
//
// Exit codes: 0 success, 1 usage error / the server refused / something failed, 2 the server could
// not be reached (connection refused, timeout, connection broken).
#pragma once

#include <boost/json/value.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "client/api_client.h"
#include "util/status.h"

namespace scriptgen::client {

inline constexpr int kExitFailure = 1;
inline constexpr int kExitUnreachable = 2;

struct CommonOptions {
  std::string server = "http://127.0.0.1:8080";  // --server, SCRIPTGEN_SERVER
  std::string token;                             // --token, SCRIPTGEN_TOKEN, ./var/admin.token
  bool json = false;                             // --json: raw JSON instead of tables
};

// The token to send: the option/env value, else the contents of ./var/admin.token if that exists,
// else "" (requests then go without Authorization). Rejects tokens with control characters.
StatusOr<std::string> ResolveToken(const std::string& given);

StatusOr<std::unique_ptr<ApiClient>> MakeApiClient(const CommonOptions& options);

int ExitCode(const Status& status);
// Prints "scriptgen: <message>" on stderr; returns ExitCode(status).
int ReportError(const Status& status);
// Serialized JSON and a newline on stdout.
void PrintJson(const boost::json::value& v);

// Field access that tolerates absent keys and wrong types ("" / 0 / nullptr then).
const boost::json::value* Field(const boost::json::value& v, std::string_view key);
std::string StringField(const boost::json::value& v, std::string_view key);
int64_t IntField(const boost::json::value& v, std::string_view key);
// "" for null, the string itself, numbers and booleans as text.
std::string ScalarText(const boost::json::value* v);

// One page of a list endpoint, for the `ls` commands.
struct ListPage {
  boost::json::value body;
  const boost::json::array* items = nullptr;  // the array under the list's key, never empty
  std::string next;                           // cursor of the next page, "" on the last
};
// GETs target and takes the array under `key`. Returns the exit code to end with when the command
// is already done: the request failed (error reported), --json (body printed raw), or the page is
// empty (`empty_message` printed). Returns nullopt when `page` holds items to render.
std::optional<int> FetchListPage(const CommonOptions& common, const std::string& target,
                                 std::string_view key, std::string_view empty_message,
                                 ListPage* page);

bool StdoutIsTerminal();
// Columns of the terminal on stdout, or `fallback` when it is not one.
size_t TerminalWidth(size_t fallback = 100);

}  // namespace scriptgen::client
