// EmbedVersionStore: the registry of embed_versions (R-G1), the port through which the embedding
// use cases record which models exist and which one search uses.
//
// A version names a provider, model, dimension and parameters; its vectors are kept under that
// name (store/document_store.h). Its life:
//
//   building  registered (or being reindexed): new uploads are embedded for it too, a reindex job
//             fills in the chunks that came before; not searched
//   active    exactly one at a time: search uses it; new uploads are embedded for it
//   standby   the version that was active before the current one: still embedded for new uploads
//             and kept in memory, so switching back (the rollback) is instant
//   inactive  an older former version: vectors kept but no longer maintained; a reindex makes it
//             building again (embedding only what is missing)
//   retired   its vectors are deleted; terminal
//
// Activate() does the whole switch in one transaction. Whether a version is complete enough to be
// activated is the caller's check (EmbedVersionService).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace scriptgen::store {

enum class EmbedVersionState { kBuilding, kActive, kStandby, kInactive, kRetired };

inline constexpr EmbedVersionState kAllEmbedVersionStates[] = {
    EmbedVersionState::kBuilding, EmbedVersionState::kActive, EmbedVersionState::kStandby,
    EmbedVersionState::kInactive, EmbedVersionState::kRetired};

inline std::string_view EmbedVersionStateName(EmbedVersionState s) {
  switch (s) {
    case EmbedVersionState::kBuilding:
      return "building";
    case EmbedVersionState::kActive:
      return "active";
    case EmbedVersionState::kStandby:
      return "standby";
    case EmbedVersionState::kInactive:
      return "inactive";
    case EmbedVersionState::kRetired:
      return "retired";
  }
  return "building";
}

inline std::optional<EmbedVersionState> ParseEmbedVersionState(std::string_view name) {
  for (EmbedVersionState s : kAllEmbedVersionStates) {
    if (EmbedVersionStateName(s) == name) return s;
  }
  return std::nullopt;
}

struct EmbedVersion {
  std::string name;      // e.g. "hash-v1-384", "openai:text-embedding-3-small:1536"
  std::string provider;  // "hash" | "openai"
  std::string model;
  int64_t dimension = 0;
  std::string params_json = "{}";  // provider parameters that are not secrets (e.g. base URL)
  EmbedVersionState state = EmbedVersionState::kBuilding;
  int64_t created_ms = 0;
  int64_t activated_ms = 0;  // last activation; 0 if never
  int64_t retired_ms = 0;
};

class EmbedVersionStore {
 public:
  virtual ~EmbedVersionStore() = default;

  // Oldest first.
  virtual StatusOr<std::vector<EmbedVersion>> List() = 0;
  // NotFound for an unknown name.
  virtual StatusOr<EmbedVersion> Get(const std::string& name) = 0;
  // Inserts; AlreadyExists if the name is taken.
  virtual Status Insert(const EmbedVersion& version) = 0;
  // Sets the state of a version that is not active; FailedPrecondition for the active one.
  virtual Status SetState(const std::string& name, EmbedVersionState state, int64_t at_ms) = 0;
  // In one transaction: the named version becomes active, the previously active one standby and
  // a previous standby inactive. Returns the name of the version that was active ("" if none).
  virtual StatusOr<std::string> Activate(const std::string& name, int64_t at_ms) = 0;
};

}  // namespace scriptgen::store
