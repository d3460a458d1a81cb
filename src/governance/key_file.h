// Key files of the governance subsystem in the data directory, and the small hex helpers around
// them:
//   <data-dir>/audit.key    32 random bytes (64 hex chars): the HMAC key of the audit chain and of
//                           the subject hashes in deletion certificates
//   <data-dir>/signing.key  the 32-byte Ed25519 seed (64 hex chars), see signing_key.h
// Both are created on first use with mode 0600 and never overwritten.
//
// Creation is atomic and exclusive: the content is written and fsync'ed under a temporary name
// (O_EXCL, 0600) and then link()ed into place, which fails if the file exists. So two processes
// starting at once agree on one key (the loser reads the winner's), and no reader ever sees a
// half-written key file, even after a crash.
//
// app::LoadOrCreateSecret (tokens and other server secrets) creates its files through
// CreateSecretFile too.
#pragma once

#include <string>
#include <string_view>

#include "util/status.h"

namespace scriptgen::governance {

std::string AuditKeyPath(const std::string& data_dir);
std::string SigningKeyPath(const std::string& data_dir);
std::string DatabasePath(const std::string& data_dir);  // <data-dir>/scriptgen.db

// The raw 32 key bytes of a key file; NotFound if it does not exist, FailedPrecondition if it
// does not hold 64 hex characters.
StatusOr<std::string> LoadKeyFile(const std::string& path);
// As LoadKeyFile, creating the file with 32 fresh random bytes if it does not exist.
StatusOr<std::string> LoadOrCreateKeyFile(const std::string& path);

// Writes content to a new file at path (mode 0600, fsync'ed, directory fsync'ed). Returns false
// without touching anything if path already exists.
StatusOr<bool> CreateSecretFile(const std::string& path, std::string_view content);

std::string HexEncode(std::string_view bytes);
// InvalidArgument unless hex is an even number of hex digits (either case).
StatusOr<std::string> HexDecode(std::string_view hex);

}  // namespace scriptgen::governance
