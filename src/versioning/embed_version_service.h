// EmbedVersionService: the embed_version lifecycle (R-G1): register a new model, reindex every
// live chunk for it in the background, switch search to it atomically once it is complete, switch
// back (the rollback, instant while the previous version is kept), and retire old versions.
//
// States and what each means for ingest and search are in store/embed_version_store.h. In short:
// new uploads are embedded for every maintained version (EmbedderSet); search uses only the
// active one; a version becomes active only when no ready document lacks its vectors.
//
//   EmbedVersionService versions(deps);
//   SG_RETURN_IF_ERROR(versions.Start(configured));  // bootstrap the registry, load the indexes
//   pipeline deps: .embedders = versions.embedders()
//   registry.Register(kReindexJobType, [&](JobContext& c) { return versions.RunReindexJob(c); });
//   StatusOr<EmbedVersion> v = versions.Register({"hash", "", 128}, "tok_admin");
//   StatusOr<JobId> job = versions.StartReindex(v->name, "tok_admin");   // SSE progress
//   ...
//   versions.Activate(v->name, "tok_admin");   // FailedPrecondition while incomplete
//
// Errors: NotFound for an unknown version, InvalidArgument for a bad spec, FailedPrecondition for
// a transition the state forbids (activating an incomplete or retired version, retiring the
// active one), Unavailable/ResourceExhausted when a provider cannot be reached at registration.
// Every change is audited. Thread-safe; admin actions are serialised.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "embed/embedder_set.h"
#include "jobs/job_context.h"
#include "jobs/queue.h"
#include "store/audit_store.h"
#include "store/document_store.h"
#include "store/embed_version_store.h"
#include "util/clock.h"

namespace scriptgen::search {
class SearchService;
}
namespace scriptgen::obs {
struct ServiceMetrics;
class Logger;
}  // namespace scriptgen::obs

namespace scriptgen::versioning {

inline constexpr const char* kReindexJobType = "reindex";

// What an operator asks for: the rest (name, state) is decided by the service.
struct EmbedVersionSpec {
  std::string provider;  // "hash" | "openai"
  std::string model;     // provider's model name; ignored by "hash"
  int64_t dimension = 0;
  std::string params_json = "{}";  // non-secret provider parameters, e.g. {"url": "..."}
};

// A version with its coverage, for listings.
struct EmbedVersionStatus {
  store::EmbedVersion version;
  int64_t vectors = 0;
  int64_t missing = 0;  // chunks of ready documents without a vector of it
  bool searchable = false;
};

struct EmbedVersionDeps {
  store::EmbedVersionStore* versions = nullptr;
  store::DocumentStore* documents = nullptr;
  store::Transactor* transactor = nullptr;
  jobs::JobQueue* queue = nullptr;
  search::SearchService* search = nullptr;  // null in worker processes (they do not search)
  store::AuditStore* audit = nullptr;       // may be null
  obs::ServiceMetrics* metrics = nullptr;   // may be null
  obs::Logger* log = nullptr;               // may be null
  const Clock* clock = SystemClock::Get();
  // Builds the embedder of a registered version (provider, model, dimension, params); secrets
  // such as API keys come from the process configuration, never from the registry.
  std::function<StatusOr<std::shared_ptr<Embedder>>(const store::EmbedVersion&)> make_embedder;
};

struct EmbedVersionOptions {
  size_t reindex_batch = 256;     // chunks per reindex transaction
  size_t retire_batch = 5000;     // vectors deleted per transaction when retiring
  bool probe_on_register = true;  // embed one text at registration to check the provider
};

class EmbedVersionService {
 public:
  explicit EmbedVersionService(EmbedVersionDeps deps, EmbedVersionOptions options = {});
  ~EmbedVersionService();

  // Bootstraps and loads. An empty registry gets `configured` as its active version. A configured
  // version that is not registered is registered as building (the operator changed the model:
  // reindex, then activate). Loads the embedders of the active, standby and building versions
  // and the search indexes of the active and standby ones; deletes leftover vectors of retired
  // versions. Fails if the active version's embedder cannot be built.
  Status Start(const EmbedVersionSpec& configured);

  // Valid after Start(): the embedders new uploads are embedded with (active first).
  const EmbedderSet* embedders() const { return embedders_.get(); }

  // Registers a new version as building (new uploads are embedded for it from now on), or
  // returns the existing one with the same name. created=false for an existing one.
  struct Registered {
    store::EmbedVersion version;
    bool created = false;
  };
  StatusOr<Registered> Register(const EmbedVersionSpec& spec, const std::string& actor);
  StatusOr<std::vector<EmbedVersionStatus>> List();
  StatusOr<EmbedVersionStatus> Describe(const std::string& name);
  // Enqueues a reindex job for the version (building, standby or inactive; an inactive one
  // becomes building). Returns the job id; one job per version at a time (idempotent).
  StatusOr<jobs::JobId> StartReindex(const std::string& name, const std::string& actor);
  // Switches search to a complete version. Returns the previously active version's name.
  StatusOr<std::string> Activate(const std::string& name, const std::string& actor);
  // Deletes a version's vectors and index; the active version cannot be retired.
  Status Retire(const std::string& name, const std::string& actor);
  // Deletes vectors of retired versions that a racing ingest wrote after the retirement.
  Status PurgeRetired();
  // Re-reads the registry and brings this process's embedders and search indexes in line with
  // it: for processes that share the store with another one that runs the admin actions (the
  // workers of a scale-out deployment). Cheap when nothing changed.
  Status Refresh();

  // The "reindex" job handler. Payload: {"version": NAME}.
  Status RunReindexJob(jobs::JobContext& ctx);

 private:
  StatusOr<std::shared_ptr<Embedder>> EmbedderOf(const store::EmbedVersion& v);
  StatusOr<EmbedVersionStatus> StatusOf(const store::EmbedVersion& v);
  Status PutVectorsOfLiveChunks(const std::string& version, size_t dim,
                                std::vector<store::ChunkId> ids, std::vector<float> vectors);
  Status DeleteVectors(const std::string& version);
  void Audit(const std::string& actor, const std::string& action, const std::string& target,
             const std::string& details_json);

  EmbedVersionDeps deps_;
  EmbedVersionOptions options_;
  std::unique_ptr<EmbedderSet> embedders_;
  std::mutex admin_mu_;  // one registration / activation / retirement at a time
};

}  // namespace scriptgen::versioning
