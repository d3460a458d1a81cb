// A generated secret is created atomically (governance::CreateSecretFile: temporary file, fsync,
// link into place, mode 0600), so two processes starting at once agree on one secret.
#include "app/secrets.h"

#include <openssl/rand.h>

#include <cstdlib>
#include <fstream>

#include "governance/key_file.h"

namespace scriptgen::app {
namespace {

StatusOr<std::string> ReadSecretFile(const std::string& path, size_t min_length) {
  std::ifstream in(path);
  if (!in) return NotFound("cannot read " + path);
  std::string value;
  std::getline(in, value);
  while (!value.empty() && (value.back() == '\r' || value.back() == ' ')) value.pop_back();
  if (value.size() < min_length) {
    return FailedPrecondition(path + " holds no valid secret (at least " +
                              std::to_string(min_length) + " characters)");
  }
  return value;
}

StatusOr<std::string> RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
    return Internal("no randomness for a secret");
  }
  static const char* kHex = "0123456789abcdef";
  std::string hex;
  for (unsigned char b : raw) {
    hex += kHex[b >> 4];
    hex += kHex[b & 15];
  }
  return hex;
}

}  // namespace

StatusOr<Secret> LoadOrCreateSecret(const SecretSpec& spec) {
  if (spec.allow_env_value) {
    if (const char* env = std::getenv(spec.env_name.c_str()); env != nullptr && *env != '\0') {
      if (std::string(env).size() < spec.min_length) {
        return InvalidArgument(spec.env_name + " must be at least " +
                               std::to_string(spec.min_length) + " characters");
      }
      return Secret{env, false, "env " + spec.env_name};
    }
  }
  const std::string file_env = spec.env_name + "_FILE";
  if (const char* path = std::getenv(file_env.c_str()); path != nullptr && *path != '\0') {
    StatusOr<std::string> v = ReadSecretFile(path, spec.min_length);
    if (!v.ok()) return Status(v.status().code(), file_env + ": " + v.status().message());
    return Secret{*v, false, "file " + std::string(path)};
  }
  StatusOr<std::string> existing = ReadSecretFile(spec.data_file, spec.min_length);
  if (existing.ok()) return Secret{*existing, false, "file " + spec.data_file};
  if (existing.status().code() != Code::kNotFound) return existing.status();

  StatusOr<std::string> fresh = RandomHex(32);
  if (!fresh.ok()) return fresh.status();
  // Written under a temporary name and linked into place: a process starting at the same moment
  // either wins or reads the complete winner, never an empty or half-written file.
  StatusOr<bool> created = governance::CreateSecretFile(spec.data_file, *fresh + "\n");
  if (!created.ok()) return created.status();
  if (!*created) {
    StatusOr<std::string> theirs = ReadSecretFile(spec.data_file, spec.min_length);
    if (!theirs.ok()) return theirs.status();
    return Secret{*theirs, false, "file " + spec.data_file};
  }
  return Secret{*fresh, true, "file " + spec.data_file};
}

StatusOr<Secret> LoadAdminToken(const std::string& data_dir) {
  return LoadOrCreateSecret({.env_name = "SCRIPTGEN_ADMIN_TOKEN",
                             .allow_env_value = true,
                             .data_file = data_dir + "/admin.token"});
}

StatusOr<Secret> LoadTokenHashKey(const std::string& data_dir) {
  return LoadOrCreateSecret(
      {.env_name = "SCRIPTGEN_TOKEN_KEY", .data_file = data_dir + "/token.key", .min_length = 32});
}

StatusOr<Secret> LoadPseudonymKey(const std::string& data_dir) {
  return LoadOrCreateSecret(
      {.env_name = "SCRIPTGEN_PII_KEY", .data_file = data_dir + "/pii.key", .min_length = 32});
}

}  // namespace scriptgen::app
