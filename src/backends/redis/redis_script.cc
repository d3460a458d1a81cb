// RedisScript: EVALSHA with a locally computed SHA-1, reloading on NOSCRIPT.
//
// Sending the SHA instead of the source saves bandwidth on every call; the server's script cache
// is volatile (restart, SCRIPT FLUSH, failover), so a NOSCRIPT reply triggers one SCRIPT LOAD and
// one retry. Loading is idempotent and the SHA is a pure function of the source, so concurrent
// reloads from several connections are harmless. A script error (a Lua `error()` or a failed
// redis.call) is an error reply for the caller, not a failed Status.
#include <openssl/evp.h>

#include "backends/redis/redis_client.h"

namespace scriptgen::redis {
namespace {

std::string Sha1Hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha1(), nullptr);
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * len);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

}  // namespace

RedisScript::RedisScript(std::string source) : source_(std::move(source)), sha_(Sha1Hex(source_)) {}

std::vector<std::string> RedisScript::EvalShaCommand(const std::vector<std::string>& keys,
                                                     const std::vector<std::string>& args) const {
  std::vector<std::string> argv;
  argv.reserve(3 + keys.size() + args.size());
  argv.push_back("EVALSHA");
  argv.push_back(sha_);
  argv.push_back(std::to_string(keys.size()));
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

Status RedisScript::Load(RedisConnection& c) const {
  StatusOr<RedisReply> r = c.Command({"SCRIPT", "LOAD", source_});
  if (!r.ok()) return r.status();
  if (r->is_error()) return Internal("redis SCRIPT LOAD failed: " + r->str);
  if (r->str != sha_) {
    return Internal("redis SCRIPT LOAD returned sha " + r->str + ", expected " + sha_);
  }
  return Status::Ok();
}

StatusOr<RedisReply> RedisScript::Run(RedisConnection& c, const std::vector<std::string>& keys,
                                      const std::vector<std::string>& args) const {
  std::vector<std::string> argv = EvalShaCommand(keys, args);
  StatusOr<RedisReply> r = c.Command(argv);
  if (!r.ok() || !r->is_error() || r->str.rfind("NOSCRIPT", 0) != 0) return r;
  SG_RETURN_IF_ERROR(Load(c));
  return c.Command(argv);
}

}  // namespace scriptgen::redis
