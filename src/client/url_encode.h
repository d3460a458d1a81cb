// Percent-encoding for the parts of request targets the client builds from user input: path
// segments (job ids) and query parameter values (file names, states, error classes).
//
//   "/v1/documents" + QueryString({{"filename", "a b/ü.txt"}})
//     -> "/v1/documents?filename=a%20b%2F%C3%BC.txt"
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace scriptgen::client {

// Every byte except the RFC 3986 unreserved set (A-Z a-z 0-9 - . _ ~) becomes %XX (upper case).
std::string PercentEncode(std::string_view s);

// "?k1=v1&k2=v2" with keys and values encoded; pairs with an empty value are left out; "" when
// nothing remains.
std::string QueryString(const std::vector<std::pair<std::string, std::string>>& params);

}  // namespace scriptgen::client
