// Design notes.
//
// Where the truth lives: the registry (EmbedVersionStore) says which versions exist and which is
// active; the vectors table says how complete each is; the EmbedderSet and the SearchService hold
// the in-memory consequences and are rebuilt from the store by Start(). An activation changes the
// store first, then memory, under admin_mu_, so a crash in between is repaired by the next start.
//
// Completeness: a version may become active only when no ready document lacks its vectors.
// Uploads already past their embed step when a version was registered are the only way a gap can
// appear after that check; the activation therefore also enqueues a reindex of the new active
// version, which finds nothing to do in the common case and fills any straggler otherwise.
//
// Reindex jobs pick chunks that have no vector of the version, in id order, a batch per
// transaction. A crashed or cancelled job resumes where it stopped without embedding anything
// twice, because finished batches are no longer "missing". Batches go through EmbedChunks, so
// text already embedded for the version (the cache) is not sent to the provider again.
//
// Retiring removes the version from the EmbedderSet before deleting its vectors. An ingest that
// took the set just before can still write a few vectors of the retired version afterwards;
// PurgeRetired() (at start and in the daily upkeep) removes them.
#include "versioning/embed_version_service.h"

#include <algorithm>
#include <boost/json.hpp>

#include "ingest/chunk_embedding.h"
#include "jobs/job_state.h"
#include "obs/logger.h"
#include "obs/service_metrics.h"
#include "search/search_service.h"

namespace scriptgen::versioning {

using store::EmbedVersion;
using store::EmbedVersionState;

namespace {

std::string Quoted(const std::string& s) {
  return boost::json::serialize(boost::json::value(s));
}

}  // namespace

EmbedVersionService::EmbedVersionService(EmbedVersionDeps deps, EmbedVersionOptions options)
    : deps_(std::move(deps)), options_(options) {}

EmbedVersionService::~EmbedVersionService() = default;

StatusOr<std::shared_ptr<Embedder>> EmbedVersionService::EmbedderOf(const EmbedVersion& v) {
  if (embedders_) {
    if (std::shared_ptr<Embedder> e = embedders_->Find(v.name)) return e;
  }
  StatusOr<std::shared_ptr<Embedder>> e = deps_.make_embedder(v);
  if (!e.ok()) return e.status();
  if ((*e)->version() != v.name) {
    return FailedPrecondition("the embedder built for embed_version " + v.name +
                              " reports version " + (*e)->version() +
                              "; the provider configuration changed");
  }
  if (static_cast<int64_t>((*e)->dimension()) != v.dimension) {
    return FailedPrecondition("embed_version " + v.name + " has dimension " +
                              std::to_string(v.dimension) + " but its embedder makes " +
                              std::to_string((*e)->dimension()));
  }
  return e;
}

Status EmbedVersionService::Start(const EmbedVersionSpec& configured) {
  std::lock_guard lock(admin_mu_);
  const int64_t now = deps_.clock->NowMs();
  EmbedVersion wanted{.provider = configured.provider,
                      .model = configured.model,
                      .dimension = configured.dimension,
                      .params_json = configured.params_json};
  // The configured embedder names its version.
  {
    StatusOr<std::shared_ptr<Embedder>> e = deps_.make_embedder(wanted);
    if (!e.ok()) return e.status();
    wanted.name = (*e)->version();
    wanted.dimension = static_cast<int64_t>((*e)->dimension());
  }
  StatusOr<std::vector<EmbedVersion>> all = deps_.versions->List();
  if (!all.ok()) return all.status();
  if (all->empty()) {
    wanted.state = EmbedVersionState::kActive;
    wanted.created_ms = now;
    wanted.activated_ms = now;
    if (Status s = deps_.versions->Insert(wanted); !s.ok() && s.code() != Code::kAlreadyExists) {
      return s;
    }
    all = deps_.versions->List();
    if (!all.ok()) return all.status();
  } else if (std::none_of(all->begin(), all->end(),
                          [&](const EmbedVersion& v) { return v.name == wanted.name; })) {
    wanted.state = EmbedVersionState::kBuilding;
    wanted.created_ms = now;
    // Several processes of one deployment start at once: one of them registers it.
    if (Status s = deps_.versions->Insert(wanted); !s.ok() && s.code() != Code::kAlreadyExists) {
      return s;
    }
    all = deps_.versions->List();
    if (!all.ok()) return all.status();
    if (deps_.log != nullptr) {
      deps_.log->Warn(
          "the configured embedder is a new embed_version, registered as building; search keeps "
          "the active version until it is reindexed and activated",
          {{"embed_version", wanted.name}});
    }
  }

  const EmbedVersion* active = nullptr;
  for (const EmbedVersion& v : *all) {
    if (v.state == EmbedVersionState::kActive) active = &v;
  }
  if (active == nullptr)
    return FailedPrecondition("the embed_version registry has no active version");
  StatusOr<std::shared_ptr<Embedder>> active_embedder = EmbedderOf(*active);
  if (!active_embedder.ok()) return active_embedder.status();
  embedders_ = std::make_unique<EmbedderSet>(*active_embedder);
  if (deps_.search != nullptr) {
    SG_RETURN_IF_ERROR(deps_.search->LoadVersion(*active_embedder));
    SG_RETURN_IF_ERROR(deps_.search->Activate(active->name));
  }

  for (const EmbedVersion& v : *all) {
    if (v.state != EmbedVersionState::kStandby && v.state != EmbedVersionState::kBuilding) continue;
    StatusOr<std::shared_ptr<Embedder>> e = EmbedderOf(v);
    if (!e.ok()) {
      // A maintained version whose provider is misconfigured must not stop the service: new
      // uploads skip it and activation will refuse it until a reindex completes.
      if (deps_.log != nullptr) {
        deps_.log->Warn("embed_version not maintained: its embedder cannot be built",
                        {{"embed_version", v.name}, {"error", e.status().ToString()}});
      }
      continue;
    }
    embedders_->Add(*e);
    if (v.state == EmbedVersionState::kStandby && deps_.search != nullptr) {
      SG_RETURN_IF_ERROR(deps_.search->LoadVersion(*e));
    }
  }
  return PurgeRetired();
}

void EmbedVersionService::Audit(const std::string& actor, const std::string& action,
                                const std::string& target, const std::string& details_json) {
  if (deps_.audit == nullptr) return;
  StatusOr<store::AuditEntry> e = deps_.audit->Append(
      {.actor = actor, .action = action, .target = target, .details_json = details_json});
  if (!e.ok() && deps_.log != nullptr) {
    deps_.log->Error("audit append failed", {{"action", action}, {"error", e.status().ToString()}});
  }
}

StatusOr<EmbedVersionService::Registered> EmbedVersionService::Register(
    const EmbedVersionSpec& spec, const std::string& actor) {
  if (spec.provider != "hash" && spec.provider != "openai") {
    return InvalidArgument("provider must be \"hash\" or \"openai\"");
  }
  if (spec.dimension < 2 || spec.dimension > 8192) {
    return InvalidArgument("dim must be between 2 and 8192");
  }
  if (spec.provider == "openai" && spec.model.empty()) {
    return InvalidArgument("an openai embed_version needs a \"model\"");
  }
  std::lock_guard lock(admin_mu_);
  EmbedVersion v{.provider = spec.provider,
                 .model = spec.provider == "hash" ? "" : spec.model,
                 .dimension = spec.dimension,
                 .params_json = spec.params_json};
  StatusOr<std::shared_ptr<Embedder>> e = deps_.make_embedder(v);
  if (!e.ok()) return e.status();
  v.name = (*e)->version();
  if (StatusOr<EmbedVersion> existing = deps_.versions->Get(v.name); existing.ok()) {
    return Registered{*existing, false};
  } else if (existing.status().code() != Code::kNotFound) {
    return existing.status();
  }
  if (options_.probe_on_register && spec.provider != "hash") {
    // A wrong URL, key or dimension is reported now, to the operator, not later by failing jobs.
    std::vector<float> probe;
    const std::string text = "scriptgen embed_version probe";
    SG_RETURN_IF_ERROR((*e)->Embed(std::span(&text, 1), &probe));
  }
  v.state = EmbedVersionState::kBuilding;
  v.created_ms = deps_.clock->NowMs();
  SG_RETURN_IF_ERROR(deps_.versions->Insert(v));
  embedders_->Add(*e);
  Audit(actor, "embed_version.register", v.name,
        "{\"provider\":" + Quoted(v.provider) + ",\"model\":" + Quoted(v.model) +
            ",\"dimension\":" + std::to_string(v.dimension) + "}");
  return Registered{v, true};
}

StatusOr<EmbedVersionStatus> EmbedVersionService::StatusOf(const EmbedVersion& v) {
  EmbedVersionStatus st{.version = v};
  if (v.state == EmbedVersionState::kRetired) return st;
  StatusOr<int64_t> vectors = deps_.documents->CountVectors(v.name);
  if (!vectors.ok()) return vectors.status();
  StatusOr<int64_t> missing = deps_.documents->CountReadyChunksWithoutVector(v.name);
  if (!missing.ok()) return missing.status();
  st.vectors = *vectors;
  st.missing = *missing;
  st.searchable = v.state == EmbedVersionState::kActive;
  return st;
}

StatusOr<std::vector<EmbedVersionStatus>> EmbedVersionService::List() {
  StatusOr<std::vector<EmbedVersion>> all = deps_.versions->List();
  if (!all.ok()) return all.status();
  std::vector<EmbedVersionStatus> out;
  for (const EmbedVersion& v : *all) {
    StatusOr<EmbedVersionStatus> st = StatusOf(v);
    if (!st.ok()) return st.status();
    out.push_back(std::move(*st));
  }
  return out;
}

StatusOr<EmbedVersionStatus> EmbedVersionService::Describe(const std::string& name) {
  StatusOr<EmbedVersion> v = deps_.versions->Get(name);
  if (!v.ok()) return v.status();
  return StatusOf(*v);
}

StatusOr<jobs::JobId> EmbedVersionService::StartReindex(const std::string& name,
                                                        const std::string& actor) {
  std::lock_guard lock(admin_mu_);
  StatusOr<EmbedVersion> v = deps_.versions->Get(name);
  if (!v.ok()) return v.status();
  if (v->state == EmbedVersionState::kRetired) {
    return FailedPrecondition("embed_version " + name +
                              " is retired; register a new version instead");
  }
  if (v->state == EmbedVersionState::kInactive) {
    StatusOr<std::shared_ptr<Embedder>> e = EmbedderOf(*v);
    if (!e.ok()) return e.status();
    SG_RETURN_IF_ERROR(
        deps_.versions->SetState(name, EmbedVersionState::kBuilding, deps_.clock->NowMs()));
    embedders_->Add(*e);
  }
  // One reindex per version at a time: the key is free again once the job has finished.
  const std::string key = "reindex:" + name;
  jobs::EnqueueRequest request{kReindexJobType,
                               boost::json::serialize(boost::json::object{{"version", name}}), key};
  StatusOr<jobs::EnqueueResult> queued = deps_.queue->Enqueue(request);
  if (!queued.ok()) return queued.status();
  if (!queued->created) {
    StatusOr<jobs::Job> existing = deps_.queue->Get(queued->id);
    if (existing.ok() && IsTerminal(existing->state)) {
      // The earlier reindex is over; a new one gets a key of its own.
      request.idempotency_key = key + ":" + std::to_string(deps_.clock->NowMs());
      queued = deps_.queue->Enqueue(request);
      if (!queued.ok()) return queued.status();
    }
  }
  if (queued->created) {
    Audit(actor, "embed_version.reindex", name, "{\"job_id\":" + std::to_string(queued->id) + "}");
  }
  return queued->id;
}

StatusOr<std::string> EmbedVersionService::Activate(const std::string& name,
                                                    const std::string& actor) {
  std::lock_guard lock(admin_mu_);
  StatusOr<EmbedVersion> v = deps_.versions->Get(name);
  if (!v.ok()) return v.status();
  if (v->state == EmbedVersionState::kActive) return name;
  if (v->state == EmbedVersionState::kRetired) {
    return FailedPrecondition("embed_version " + name + " is retired (its vectors are gone)");
  }
  StatusOr<int64_t> missing = deps_.documents->CountReadyChunksWithoutVector(name);
  if (!missing.ok()) return missing.status();
  if (*missing > 0) {
    return FailedPrecondition("embed_version " + name +
                              " is incomplete: " + std::to_string(*missing) +
                              " chunks have no vector of it yet; run a reindex "
                              "(POST /v1/admin/reindex) and activate when it has finished");
  }
  StatusOr<std::shared_ptr<Embedder>> e = EmbedderOf(*v);
  if (!e.ok()) return e.status();
  // Build the index before anything changes: search keeps serving the old version meanwhile,
  // and a failure here leaves everything as it was. A standby version is already loaded.
  if (deps_.search != nullptr && !deps_.search->IsLoaded(name)) {
    SG_RETURN_IF_ERROR(deps_.search->LoadVersion(*e));
  }
  StatusOr<std::string> previous = deps_.versions->Activate(name, deps_.clock->NowMs());
  if (!previous.ok()) return previous.status();
  embedders_->Add(*e);
  embedders_->SetActive(name);
  if (deps_.search != nullptr) SG_RETURN_IF_ERROR(deps_.search->Activate(name));
  // The old standby (now inactive) is no longer maintained nor kept in memory.
  StatusOr<std::vector<EmbedVersion>> all = deps_.versions->List();
  if (all.ok()) {
    for (const EmbedVersion& other : *all) {
      if (other.state != EmbedVersionState::kInactive) continue;
      embedders_->Remove(other.name);
      if (deps_.search != nullptr) (void)deps_.search->DropVersion(other.name);
    }
  }
  Audit(actor, "embed_version.activate", name, "{\"previous\":" + Quoted(*previous) + "}");
  if (deps_.log != nullptr) {
    deps_.log->Info("embed_version activated", {{"embed_version", name}, {"previous", *previous}});
  }
  // Stragglers: uploads whose embed step began before this version was registered.
  jobs::EnqueueRequest sweep{kReindexJobType,
                             boost::json::serialize(boost::json::object{{"version", name}}),
                             "reindex:" + name + ":activated:" + std::to_string(v->created_ms)};
  (void)deps_.queue->Enqueue(sweep);
  return *previous;
}

Status EmbedVersionService::DeleteVectors(const std::string& version) {
  for (;;) {
    StatusOr<int64_t> n = deps_.documents->DeleteVectorsOfVersion(version, options_.retire_batch);
    if (!n.ok()) return n.status();
    if (*n == 0) return Status::Ok();
  }
}

Status EmbedVersionService::Retire(const std::string& name, const std::string& actor) {
  std::lock_guard lock(admin_mu_);
  StatusOr<EmbedVersion> v = deps_.versions->Get(name);
  if (!v.ok()) return v.status();
  if (v->state == EmbedVersionState::kActive) {
    return FailedPrecondition("embed_version " + name +
                              " is active; activate another version before retiring it");
  }
  if (v->state != EmbedVersionState::kRetired) {
    SG_RETURN_IF_ERROR(
        deps_.versions->SetState(name, EmbedVersionState::kRetired, deps_.clock->NowMs()));
  }
  embedders_->Remove(name);
  if (deps_.search != nullptr) (void)deps_.search->DropVersion(name);
  StatusOr<int64_t> before = deps_.documents->CountVectors(name);
  SG_RETURN_IF_ERROR(DeleteVectors(name));
  Audit(actor, "embed_version.retire", name,
        "{\"vectors_deleted\":" + std::to_string(before.ok() ? *before : 0) + "}");
  return Status::Ok();
}

Status EmbedVersionService::PurgeRetired() {
  StatusOr<std::vector<EmbedVersion>> all = deps_.versions->List();
  if (!all.ok()) return all.status();
  for (const EmbedVersion& v : *all) {
    if (v.state == EmbedVersionState::kRetired) SG_RETURN_IF_ERROR(DeleteVectors(v.name));
  }
  return Status::Ok();
}

Status EmbedVersionService::Refresh() {
  std::lock_guard lock(admin_mu_);
  StatusOr<std::vector<EmbedVersion>> all = deps_.versions->List();
  if (!all.ok()) return all.status();
  for (const EmbedVersion& v : *all) {
    const bool maintained = v.state == EmbedVersionState::kActive ||
                            v.state == EmbedVersionState::kStandby ||
                            v.state == EmbedVersionState::kBuilding;
    if (!maintained) continue;
    StatusOr<std::shared_ptr<Embedder>> e = EmbedderOf(v);
    if (!e.ok()) continue;  // reported by Start(); activation refuses what cannot be embedded
    embedders_->Add(*e);
    if (v.state == EmbedVersionState::kActive && embedders_->active()->version() != v.name) {
      if (deps_.search != nullptr) {
        if (!deps_.search->IsLoaded(v.name)) SG_RETURN_IF_ERROR(deps_.search->LoadVersion(*e));
        SG_RETURN_IF_ERROR(deps_.search->Activate(v.name));
      }
      embedders_->SetActive(v.name);
    }
  }
  for (const EmbedVersion& v : *all) {
    if (v.state == EmbedVersionState::kInactive || v.state == EmbedVersionState::kRetired) {
      embedders_->Remove(v.name);
      if (deps_.search != nullptr) (void)deps_.search->DropVersion(v.name);
    }
  }
  return Status::Ok();
}

Status EmbedVersionService::PutVectorsOfLiveChunks(const std::string& version, size_t dim,
                                                   std::vector<store::ChunkId> ids,
                                                   std::vector<float> vectors) {
  auto put = [&] {
    return deps_.transactor->Run([&](store::WriteTx& tx) {
      return deps_.documents->PutVectors(tx, version, dim, ids, vectors);
    });
  };
  Status s = put();
  if (s.ok()) return s;
  // A document deleted meanwhile takes its chunks with it and the batch fails on the foreign
  // key: keep the rows of the chunks that still exist and try once more.
  StatusOr<std::vector<store::Chunk>> live = deps_.documents->GetChunks(ids);
  if (!live.ok() || live->size() == ids.size()) return s;
  std::vector<store::ChunkId> kept_ids;
  std::vector<float> kept;
  size_t j = 0;
  for (size_t i = 0; i < ids.size() && j < live->size(); ++i) {
    if ((*live)[j].id != ids[i]) continue;
    kept_ids.push_back(ids[i]);
    kept.insert(kept.end(), vectors.begin() + i * dim, vectors.begin() + (i + 1) * dim);
    ++j;
  }
  ids = std::move(kept_ids);
  vectors = std::move(kept);
  return ids.empty() ? Status::Ok() : put();
}

Status EmbedVersionService::RunReindexJob(jobs::JobContext& ctx) {
  boost::system::error_code ec;
  boost::json::value payload = boost::json::parse(ctx.job().payload, ec);
  const boost::json::string* name_json = !ec && payload.is_object()
                                             ? payload.as_object().if_contains("version") != nullptr
                                                   ? payload.as_object().at("version").if_string()
                                                   : nullptr
                                             : nullptr;
  if (name_json == nullptr) return InvalidArgument("reindex payload needs a \"version\"");
  const std::string name(name_json->c_str(), name_json->size());
  StatusOr<EmbedVersion> v = deps_.versions->Get(name);
  if (!v.ok())
    return v.status().code() == Code::kNotFound ? InvalidArgument(v.status().message())
                                                : v.status();
  if (v->state == EmbedVersionState::kRetired) {
    return InvalidArgument("embed_version " + name + " was retired; nothing to reindex");
  }
  StatusOr<std::shared_ptr<Embedder>> embedder = EmbedderOf(*v);
  if (!embedder.ok()) return embedder.status();

  // Progress is against the ready documents' missing chunks; documents still in the pipeline may
  // add a few (done can pass total, which then grows with it).
  StatusOr<int64_t> total = deps_.documents->CountReadyChunksWithoutVector(name);
  if (!total.ok()) return total.status();
  int64_t done = 0;
  store::ChunkId after = 0;
  ingest::EmbedStats stats;
  ctx.ReportProgress("reindex", 0, "0 of " + std::to_string(*total) + " chunks");
  for (;;) {
    SG_RETURN_IF_ERROR(ctx.CheckCancelled());
    StatusOr<std::vector<store::Chunk>> batch =
        deps_.documents->ChunksWithoutVector(name, after, options_.reindex_batch);
    if (!batch.ok()) return batch.status();
    if (batch->empty()) break;
    after = batch->back().id;
    StatusOr<std::vector<float>> vectors =
        ingest::EmbedChunks(*deps_.documents, **embedder, *batch,
                            {.slice = options_.reindex_batch, .metrics = deps_.metrics}, &stats);
    if (!vectors.ok()) return vectors.status();
    std::vector<store::ChunkId> ids;
    for (const store::Chunk& c : *batch) ids.push_back(c.id);
    SG_RETURN_IF_ERROR(
        PutVectorsOfLiveChunks(name, (*embedder)->dimension(), ids, std::move(*vectors)));
    done += static_cast<int64_t>(batch->size());
    if (deps_.metrics != nullptr) {
      deps_.metrics->embedding_reindexed_chunks_total.WithLabels({name}).Inc(batch->size());
    }
    const int64_t of = std::max(*total, done);
    const int percent = static_cast<int>(std::min<int64_t>(99, 100 * done / of));
    ctx.ReportProgress("reindex", percent,
                       std::to_string(done) + " of " + std::to_string(of) + " chunks");
  }
  ctx.ReportProgress("reindex", 100,
                     std::to_string(done) + " chunks embedded (" +
                         std::to_string(stats.cache_hits) + " from the cache)");
  if (deps_.log != nullptr) {
    deps_.log->Info("reindex finished", {{"embed_version", name},
                                         {"chunks", done},
                                         {"cache_hits", stats.cache_hits},
                                         {"provider_texts", stats.embedded}});
  }
  return Status::Ok();
}

}  // namespace scriptgen::versioning
