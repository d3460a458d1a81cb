// Where each step keeps its result: extract -> document_texts, chunk -> chunks, embed -> vectors,
// index -> documents.ready. Each later step reads its input back from the store rather than from
// memory, so a step re-run after a crash sees exactly what the earlier (marked) step stored.
//
// The in-memory vector index is updated by the index step's work, before its commit marks the
// document ready: it is derived state (rebuilt from the store at start), and VectorIndex::Add
// replaces an existing label, so doing it again after a re-delivery is harmless.
#include "ingest/ingest_pipeline.h"

#include <boost/json.hpp>
#include <fstream>

#include "extract/extractor.h"
#include "ingest/chunk_embedding.h"
#include "ingest/text_sections.h"
#include "jobs/step_runner.h"
#include "jobs/subject_read.h"
#include "obs/service_metrics.h"
#include "search/search_service.h"

namespace scriptgen::ingest {
namespace {

const std::vector<std::string> kSteps = {"validate", "extract", "scrub", "chunk", "embed", "index"};

StatusOr<std::string> ReadFile(const std::string& path, uint64_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Unavailable("cannot open blob " + path);
  in.seekg(0, std::ios::end);
  const auto size = static_cast<uint64_t>(in.tellg());
  if (size > max_bytes) {
    return InvalidArgument("the file is larger than the " + std::to_string(max_bytes) +
                           "-byte limit of the pipeline");
  }
  in.seekg(0);
  std::string data(size, '\0');
  if (!in.read(data.data(), static_cast<std::streamsize>(size))) {
    return Unavailable("cannot read blob " + path);
  }
  return data;
}

StatusOr<store::DocumentId> ParsePayload(const std::string& payload) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(payload, ec);
  if (ec || !v.is_object()) return InvalidArgument("ingest payload is not a JSON object");
  const boost::json::value* id = v.as_object().if_contains("document_id");
  if (id == nullptr || !id->is_int64() || id->as_int64() <= 0) {
    return InvalidArgument("ingest payload lacks a positive document_id");
  }
  return id->as_int64();
}

store::DocumentText ToDocumentText(extract::ExtractedText&& e) {
  store::DocumentText out;
  out.text = std::move(e.text);
  out.sections.reserve(e.sections.size());
  for (extract::Section& s : e.sections) {
    out.sections.push_back({s.byte_offset, s.page, std::move(s.heading_path)});
  }
  return out;
}

}  // namespace

IngestPipeline::IngestPipeline(IngestDeps deps, IngestOptions options)
    : deps_(deps), options_(std::move(options)) {}

std::string IngestPipeline::PayloadFor(store::DocumentId id) {
  return boost::json::serialize(boost::json::object{{"document_id", id}});
}

Status IngestPipeline::Run(jobs::JobContext& ctx) {
  StatusOr<store::DocumentId> id = ParsePayload(ctx.job().payload);
  if (!id.ok()) return id.status();
  StatusOr<store::Document> doc =
      jobs::ReadJobSubject<store::Document>(ctx, [&]() -> StatusOr<store::Document> {
        StatusOr<store::Document> d = deps_.documents->Get(*id);
        // With a queue outside the store (Redis) the job exists before its document commits. If
        // that commit rolled back, SQLite hands the same id to the next upload's document, which
        // names its own ingest job: it is not this job's to process (that would leave this job
        // "succeeded" with no document of its own). For this job the document never existed.
        if (d.ok() && d->job_id != ctx.job().id) {
          return NotFound("document " + std::to_string(*id) + " belongs to another job");
        }
        return d;
      });
  if (doc.status().code() == Code::kNotFound) {
    return Cancelled("document " + std::to_string(*id) +
                     " does not exist (deleted, or its upload did not complete)");
  }
  if (!doc.ok()) return doc.status();
  Status s = RunSteps(ctx, *doc);
  if (!s.ok() && s.code() != Code::kCancelled &&
      deps_.documents->Get(*id).status().code() == Code::kNotFound) {
    return Cancelled("document " + std::to_string(*id) + " was deleted while being processed");
  }
  return s;
}

Status IngestPipeline::RunSteps(jobs::JobContext& ctx, const store::Document& doc) {
  store::DocumentStore& docs = *deps_.documents;
  const store::DocumentId id = doc.id;
  jobs::StepRunner steps(ctx, *deps_.steps, StepKey(id), kSteps);

  StatusOr<std::string> path = deps_.blobs->LocalPath(doc.blob_path);
  if (!path.ok()) return path.status();

  // Every step's effect (and so its mark) commits only if the document still exists: a delete
  // that wins the race leaves no mark, text or chunk behind, and the job ends as cancelled.
  auto run = [&](const std::string& step, const jobs::StepRunner::Work& work) {
    return steps.Run(step, [&]() -> StatusOr<jobs::StepStore::Effect> {
      StatusOr<jobs::StepStore::Effect> effect = work();
      if (!effect.ok()) return effect;
      return jobs::StepStore::Effect(
          [&docs, id, inner = std::move(*effect)](store::WriteTx& tx) -> Status {
            SG_RETURN_IF_ERROR(docs.CheckExists(tx, id));
            return inner ? inner(tx) : Status::Ok();
          });
    });
  };

  SG_RETURN_IF_ERROR(run("validate", [&]() -> StatusOr<jobs::StepStore::Effect> {
    StatusOr<extract::ValidationResult> v =
        deps_.validator->ValidateFile(*path, doc.declared_mime, doc.filename);
    if (!v.ok()) {
      if (deps_.metrics != nullptr) {
        deps_.metrics->file_validation_results_total.WithLabels({"refused", doc.mime}).Inc();
      }
      return v.status();
    }
    if (v->mime != doc.mime) {
      return Internal("the file's type changed since upload (" + doc.mime + " -> " + v->mime + ")");
    }
    return jobs::StepStore::Effect();  // the mark is the result
  }));

  SG_RETURN_IF_ERROR(run("extract", [&]() -> StatusOr<jobs::StepStore::Effect> {
    StatusOr<std::string> raw = ReadFile(*path, options_.max_file_bytes);
    if (!raw.ok()) return raw.status();
    extract::ExtractOptions eo;
    eo.max_output_bytes = options_.max_text_bytes;
    eo.charset_hint = extract::CharsetParameter(doc.declared_mime);
    StatusOr<extract::ExtractedText> extracted = extract::Extract(doc.mime, *raw, eo);
    if (!extracted.ok()) return extracted.status();
    raw->clear();
    // Secrets go before the text is stored (R-S4). Per section, so citations stay exact.
    auto counts = std::make_shared<store::RedactionCounts>();
    Status refused;
    auto text = std::make_shared<store::DocumentText>(RewriteSections(
        ToDocumentText(std::move(*extracted)), [&](std::string_view piece) -> std::string {
          StatusOr<pii::SecretRedaction> r = pii::ApplySecretPolicy(piece, options_.secret_policy);
          if (!r.ok()) {
            if (refused.ok()) refused = r.status();
            return std::string(piece);
          }
          for (size_t k = 0; k < r->counts.size(); ++k) {
            if (r->counts[k] == 0) continue;
            (*counts)["secret:" +
                      std::string(pii::SecretKindName(static_cast<pii::SecretKind>(k)))] +=
                static_cast<int64_t>(r->counts[k]);
          }
          return std::move(r->text);
        }));
    SG_RETURN_IF_ERROR(refused);
    return jobs::StepStore::Effect([&docs, id, text, counts](store::WriteTx& tx) {
      return docs.PutText(tx, id, *text, counts.get());
    });
  }));

  SG_RETURN_IF_ERROR(run("scrub", [&]() -> StatusOr<jobs::StepStore::Effect> {
    StatusOr<store::DocumentText> text = docs.GetText(id);
    if (!text.ok()) return text.status();
    StatusOr<store::Document> current = docs.Get(id);  // the extract step's secret counts
    if (!current.ok()) return current.status();
    pii::PiiCounts found{};
    auto scrubbed =
        std::make_shared<store::DocumentText>(RewriteSections(*text, [&](std::string_view piece) {
          pii::ScrubResult r = deps_.scrubber->Scrub(piece);
          for (size_t k = 0; k < found.size(); ++k) found[k] += r.counts[k];
          return std::move(r.text);
        }));
    auto counts = std::make_shared<store::RedactionCounts>(current->redactions);
    for (pii::PiiKind kind : pii::kAllPiiKinds) {
      const uint64_t n = found[pii::Index(kind)];
      if (n == 0) continue;
      (*counts)[std::string(pii::PiiKindName(kind))] = static_cast<int64_t>(n);
      if (deps_.metrics != nullptr) {
        deps_.metrics->pii_scrubbing_operations_total.WithLabels({pii::PiiKindName(kind)}).Inc(n);
      }
    }
    return jobs::StepStore::Effect([&docs, id, scrubbed, counts](store::WriteTx& tx) {
      return docs.PutText(tx, id, *scrubbed, counts.get());
    });
  }));

  SG_RETURN_IF_ERROR(run("chunk", [&]() -> StatusOr<jobs::StepStore::Effect> {
    StatusOr<store::DocumentText> text = docs.GetText(id);
    if (!text.ok()) return text.status();
    auto chunks = std::make_shared<std::vector<store::NewChunk>>();
    for (TextChunk& c : ChunkText(text->text, options_.chunking)) {
      chunks->push_back({std::move(c.text), c.byte_offset, c.byte_length});
    }
    AttachSections(*chunks, text->sections);
    return jobs::StepStore::Effect(
        [&docs, id, chunks](store::WriteTx& tx) { return docs.ReplaceChunks(tx, id, *chunks); });
  }));
  // Every maintained embed_version gets this document's vectors (the active one, the standby kept
  // for rollback, versions being built), so a version switch never waits for new uploads. Only
  // the active version's failure fails the step: a building version whose provider is down must
  // not stop ingest; its reindex fills the gap, and activation refuses an incomplete version.
  const std::vector<std::shared_ptr<Embedder>> embedders = deps_.embedders->all();
  const std::string version = embedders.front()->version();
  SG_RETURN_IF_ERROR(run("embed", [&]() -> StatusOr<jobs::StepStore::Effect> {
    StatusOr<std::vector<store::Chunk>> chunks = docs.ListChunks(id);
    if (!chunks.ok()) return chunks.status();
    struct VersionVectors {
      std::string version;
      size_t dim;
      std::vector<float> vectors;
    };
    auto results = std::make_shared<std::vector<VersionVectors>>();
    auto ids = std::make_shared<std::vector<store::ChunkId>>();
    for (const store::Chunk& c : *chunks) ids->push_back(c.id);
    const size_t n = chunks->size();
    for (size_t e = 0; e < embedders.size(); ++e) {
      Embedder& embedder = *embedders[e];
      EmbedChunksOptions embed_options{
          .slice = options_.embed_batch,
          .between_slices = [&](size_t done) -> Status {
            if (e == 0) {  // embed spans 4/6..5/6 of the job; progress of the active version
              const int percent =
                  static_cast<int>(400 / 6 + (100 / 6) * done / std::max<size_t>(n, 1));
              ctx.ReportProgress("embed", percent,
                                 std::to_string(done) + " of " + std::to_string(n) + " chunks");
            }
            return ctx.CheckCancelled();
          },
          .metrics = deps_.metrics};
      StatusOr<std::vector<float>> vectors = EmbedChunks(docs, embedder, *chunks, embed_options);
      if (!vectors.ok()) {
        if (e == 0 || vectors.status().code() == Code::kCancelled) return vectors.status();
        continue;  // a maintained version: its reindex will embed this document
      }
      results->push_back({embedder.version(), embedder.dimension(), std::move(*vectors)});
    }
    return jobs::StepStore::Effect([&docs, ids, results](store::WriteTx& tx) -> Status {
      for (const VersionVectors& r : *results) {
        SG_RETURN_IF_ERROR(docs.PutVectors(tx, r.version, r.dim, *ids, r.vectors));
      }
      return Status::Ok();
    });
  }));

  SG_RETURN_IF_ERROR(run("index", [&]() -> StatusOr<jobs::StepStore::Effect> {
    // Into the in-memory index first, then "ready" in the store: a document reported ready is
    // always searchable. (If the commit then fails, search drops the stale hits: it checks every
    // hit against the store.)
    if (deps_.search != nullptr) SG_RETURN_IF_ERROR(deps_.search->AddDocument(id));
    return jobs::StepStore::Effect(
        [&docs, id, version](store::WriteTx& tx) { return docs.MarkReady(tx, id, version); });
  }));
  return Status::Ok();
}

}  // namespace scriptgen::ingest
