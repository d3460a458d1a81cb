// The ingest use cases with their real collaborators: SQLite store, step marks and blob files,
// the in-memory queue (durability is the crash tests' subject), the hash embedder and the index.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <thread>

#include "backends/fs/fs_blob_store.h"
#include "backends/sqlite/database.h"
#include "backends/sqlite/sqlite_document_store.h"
#include "backends/sqlite/sqlite_step_store.h"
#include "embed/hash_embedder.h"
#include "ingest/document_service.h"
#include "ingest/ingest_pipeline.h"
#include "jobs/memory_progress_bus.h"
#include "jobs/memory_queue.h"
#include "jobs/worker_pool.h"
#include "search/search_service.h"

namespace scriptgen::ingest {
namespace {

namespace stdfs = std::filesystem;
using std::chrono::milliseconds;

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = stdfs::temp_directory_path() /
           ("sg-ingest-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    stdfs::remove_all(dir_);
    stdfs::create_directories(dir_ / "staging");
    db_ = std::move(*sqlite::Database::Open((dir_ / "db").string()));
    docs_ = std::make_unique<sqlite::SqliteDocumentStore>(db_.get());
    tx_ = std::make_unique<sqlite::SqliteTransactor>(db_.get());
    steps_ = std::make_unique<sqlite::SqliteStepStore>(db_.get());
    blobs_ = std::make_unique<fs::FsBlobStore>((dir_ / "blobs").string());
    queue_ = std::make_unique<jobs::MemoryQueue>(jobs::RetryPolicy(), &bus_);
    search_ = std::make_unique<search::SearchService>(docs_.get(), &embedder_);
    ASSERT_TRUE(search_->Load().ok());
    ChunkOptions chunking;
    chunking.target_chars = 200;
    chunking.overlap_chars = 20;
    pipeline_ = std::make_unique<IngestPipeline>(
        IngestDeps{docs_.get(), blobs_.get(), steps_.get(), &embedders_, search_.get(), &validator_,
                   &scrubber_},
        IngestOptions{.chunking = chunking});
    service_ = std::make_unique<DocumentService>(
        DocumentServiceDeps{docs_.get(), tx_.get(), blobs_.get(), queue_.get(), steps_.get(),
                            search_.get(), &validator_});
    ASSERT_TRUE(
        registry_
            .Register(kIngestJobType, [this](jobs::JobContext& ctx) { return pipeline_->Run(ctx); })
            .ok());
  }
  void TearDown() override {
    pool_.reset();
    service_.reset();
    pipeline_.reset();
    search_.reset();
    queue_.reset();
    steps_.reset();
    tx_.reset();
    docs_.reset();
    db_.reset();
    stdfs::remove_all(dir_);
  }

  UploadRequest Staged(const std::string& name, const std::string& content,
                       const std::string& key = "") {
    static int n = 0;
    const std::string path = (dir_ / "staging" / ("up" + std::to_string(n++))).string();
    std::ofstream(path, std::ios::binary) << content;
    // Any 64-hex string works as the digest for the blob store's layout; content-derived here so
    // idempotency comparisons behave like the HTTP layer's.
    std::string hex;
    const size_t h = std::hash<std::string>{}(content);
    for (int i = 0; i < 4; ++i) {
      char buf[17];
      std::snprintf(buf, sizeof(buf), "%016zx", h + i);
      hex += buf;
    }
    return {path, hex, content.size(), name, "text/plain", "", key};
  }
  void StartWorkers() {
    pool_ = std::make_unique<jobs::WorkerPool>(queue_.get(), &registry_, &bus_,
                                               jobs::WorkerPoolOptions{.threads = 2});
    pool_->Start();
  }
  std::string WaitState(store::DocumentId id) {
    for (int i = 0; i < 2000; ++i) {
      StatusOr<DocumentView> v = service_->Get(id);
      if (v.ok() && v->state != "queued" && v->state != "processing") return v->state;
      std::this_thread::sleep_for(milliseconds(5));
    }
    return "timeout";
  }
  int64_t Count(const std::string& sql) {
    auto conn = db_->readers().Acquire();
    auto st = (*conn)->Prepare(sql);
    int64_t n = -1;
    EXPECT_TRUE((*st)->One([&](const sqlite::Statement& s) { n = s.Int(0); }).ok());
    return n;
  }

  stdfs::path dir_;
  jobs::MemoryProgressBus bus_;
  HashEmbedder embedder_{HashEmbedderOptions{.dimension = 64}};
  EmbedderSet embedders_{std::shared_ptr<Embedder>(&embedder_, [](Embedder*) {})};
  extract::FileSecurityValidator validator_;
  pii::PiiScrubber scrubber_ = *pii::PiiScrubber::Create(pii::ScrubPolicy{});
  std::unique_ptr<sqlite::Database> db_;
  std::unique_ptr<sqlite::SqliteDocumentStore> docs_;
  std::unique_ptr<sqlite::SqliteTransactor> tx_;
  std::unique_ptr<sqlite::SqliteStepStore> steps_;
  std::unique_ptr<fs::FsBlobStore> blobs_;
  std::unique_ptr<jobs::MemoryQueue> queue_;
  std::unique_ptr<search::SearchService> search_;
  std::unique_ptr<IngestPipeline> pipeline_;
  std::unique_ptr<DocumentService> service_;
  jobs::HandlerRegistry registry_;
  std::unique_ptr<jobs::WorkerPool> pool_;
};

std::string LongText(const std::string& marker) {
  std::string t;
  for (int i = 0; i < 40; ++i) {
    t += "Sentence number " + std::to_string(i) + " talks about scripts and scenes. ";
    if (i % 7 == 6) t += "\n\n";
  }
  return t + marker + " closes the document.\n";
}

TEST_F(PipelineTest, UploadRunsEveryStepAndBecomesSearchable) {
  StatusOr<UploadResult> up = service_->Upload(Staged("a.txt", LongText("quokkamarker")));
  ASSERT_TRUE(up.ok()) << up.status().ToString();
  EXPECT_TRUE(up->created);
  EXPECT_FALSE(stdfs::exists(dir_ / "staging" / "up0"));  // adopted into the blob store
  EXPECT_EQ(service_->Get(up->document.id)->state, "queued");
  StartWorkers();
  ASSERT_EQ(WaitState(up->document.id), "ready");
  DocumentView v = *service_->Get(up->document.id);
  EXPECT_GT(v.document.chunk_count, 3);
  EXPECT_EQ(v.document.embed_version, embedder_.version());
  std::vector<std::string> done = *steps_->DoneSteps(IngestPipeline::StepKey(up->document.id));
  std::sort(done.begin(), done.end());  // steps done within one millisecond have no order
  EXPECT_EQ(done,
            (std::vector<std::string>{"chunk", "embed", "extract", "index", "scrub", "validate"}));
  EXPECT_EQ(Count("SELECT count(*) FROM vectors"), v.document.chunk_count);
  StatusOr<std::vector<search::SearchResult>> hits = search_->Search("quokkamarker", 3);
  ASSERT_TRUE(hits.ok());
  ASSERT_FALSE(hits->empty());
  EXPECT_EQ((*hits)[0].document_id, up->document.id);
  EXPECT_EQ((*hits)[0].filename, "a.txt");
}

TEST_F(PipelineTest, ReRunningAFinishedJobChangesNothing) {
  StatusOr<UploadResult> up = service_->Upload(Staged("a.txt", LongText("x")));
  StartWorkers();
  ASSERT_EQ(WaitState(up->document.id), "ready");
  const int64_t chunks = Count("SELECT count(*) FROM chunks");
  const int64_t vectors = Count("SELECT count(*) FROM vectors");
  // Deliver the same job again, as a lease expiry would.
  jobs::Job job = *queue_->Get(up->document.job_id);
  jobs::JobContext ctx(job, std::make_shared<jobs::CancelToken>(), queue_.get(), &bus_);
  ASSERT_TRUE(pipeline_->Run(ctx).ok());
  EXPECT_EQ(Count("SELECT count(*) FROM chunks"), chunks);
  EXPECT_EQ(Count("SELECT count(*) FROM vectors"), vectors);
}

TEST_F(PipelineTest, IdempotentUploadReplayAndConflict) {
  StatusOr<UploadResult> a = service_->Upload(Staged("a.txt", "body one", "k1"));
  StatusOr<UploadResult> b = service_->Upload(Staged("a.txt", "body one", "k1"));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->document.id, b->document.id);
  EXPECT_FALSE(b->created);
  StatusOr<UploadResult> c = service_->Upload(Staged("a.txt", "body two", "k1"));
  EXPECT_EQ(c.status().code(), Code::kAlreadyExists);
  int blobs = 0;
  ASSERT_TRUE(blobs_->ListKeys([&](const std::string&) { ++blobs; }).ok());
  EXPECT_EQ(blobs, 1);  // the replay's and the conflict's staged bytes were not kept
}

TEST_F(PipelineTest, BadUploadsAreRejectedAndLeaveNothing) {
  EXPECT_EQ(service_->Upload(Staged("a.txt", "")).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(service_->Upload(Staged("", "x")).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(service_->Upload(Staged("../etc/passwd", "x")).status().code(), Code::kInvalidArgument);
  EXPECT_TRUE(stdfs::is_empty(dir_ / "staging"));
  EXPECT_EQ(Count("SELECT count(*) FROM documents"), 0);
}

TEST_F(PipelineTest, BinaryContentIsRefusedAtUploadAndLeavesNothing) {
  StatusOr<UploadResult> up = service_->Upload(Staged("a.txt", std::string("\0\1\2\x7f", 4)));
  EXPECT_EQ(up.status().code(), Code::kUnsupported);
  StatusOr<UploadResult> elf = service_->Upload(Staged("movie.pdf", std::string("\x7f"
                                                                                "ELF\2\1\1\0",
                                                                                8) +
                                                                        std::string(64, 'x')));
  EXPECT_EQ(elf.status().code(), Code::kUnsupported);
  EXPECT_NE(elf.status().message().find("ELF"), std::string::npos) << elf.status().message();
  EXPECT_TRUE(stdfs::is_empty(dir_ / "staging"));
  EXPECT_EQ(Count("SELECT count(*) FROM documents"), 0);
}

TEST_F(PipelineTest, FileThatChangedAfterUploadIsDeadLetteredByTheValidateStep) {
  StatusOr<UploadResult> up = service_->Upload(Staged("a.txt", LongText("x")));
  ASSERT_TRUE(up.ok());
  // The stored blob turns into an executable behind our back (disk tampering, a bug).
  std::ofstream(*blobs_->LocalPath(up->document.blob_path), std::ios::binary | std::ios::trunc)
      << std::string(
             "\x7f"
             "ELF\2\1\1\0",
             8)
      << std::string(64, 'x');
  StartWorkers();
  ASSERT_EQ(WaitState(up->document.id), "failed");
  jobs::Job job = *queue_->Get(up->document.job_id);
  ASSERT_TRUE(job.last_error.has_value());
  EXPECT_EQ(job.last_error->error_class, jobs::ErrorClass::kUnsupportedType);
  EXPECT_EQ(job.attempts, 1);
}

TEST_F(PipelineTest, DeleteCascadesEverywhere) {
  StatusOr<UploadResult> up = service_->Upload(Staged("a.txt", LongText("wombatmarker")));
  StartWorkers();
  ASSERT_EQ(WaitState(up->document.id), "ready");
  const std::string blob = *blobs_->LocalPath(up->document.blob_path);
  ASSERT_TRUE(stdfs::exists(blob));
  StatusOr<DeleteResult> del = service_->Delete(up->document.id);
  ASSERT_TRUE(del.ok());
  EXPECT_TRUE(del->deleted);
  EXPECT_GT(del->chunks_removed, 0u);
  EXPECT_EQ(service_->Get(up->document.id).status().code(), Code::kNotFound);
  for (const char* table : {"documents", "chunks", "vectors", "document_texts", "step_marks"}) {
    EXPECT_EQ(Count(std::string("SELECT count(*) FROM ") + table), 0) << table;
  }
  EXPECT_FALSE(stdfs::exists(blob));
  EXPECT_EQ(search_->indexed_chunks(), 0u);
  EXPECT_TRUE(search_->Search("wombatmarker", 5)->empty());
  EXPECT_FALSE(service_->Delete(up->document.id)->deleted);  // idempotent
}

TEST_F(PipelineTest, DeleteWhileQueuedCancelsTheJob) {
  StatusOr<UploadResult> up = service_->Upload(Staged("a.txt", LongText("x")));
  ASSERT_TRUE(service_->Delete(up->document.id)->deleted);
  EXPECT_EQ(queue_->Get(up->document.job_id)->state, jobs::JobState::kCancelled);
  StartWorkers();
  std::this_thread::sleep_for(milliseconds(100));
  EXPECT_EQ(Count("SELECT count(*) FROM chunks"), 0);
}

TEST_F(PipelineTest, JobWhoseDocumentVanishedEndsCancelled) {
  jobs::Job job;
  job.id = 99;
  job.payload = IngestPipeline::PayloadFor(12345);
  jobs::JobContext ctx(job, std::make_shared<jobs::CancelToken>(), queue_.get(), &bus_);
  EXPECT_EQ(pipeline_->Run(ctx).code(), Code::kCancelled);
  job.payload = "{not json";
  EXPECT_EQ(pipeline_->Run(ctx).code(), Code::kInvalidArgument);
  job.payload = R"({"document_id": -4})";
  EXPECT_EQ(pipeline_->Run(ctx).code(), Code::kInvalidArgument);
}

TEST_F(PipelineTest, SearchIndexIsRebuiltFromTheStore) {
  StatusOr<UploadResult> up = service_->Upload(Staged("a.txt", LongText("platypusmarker")));
  StartWorkers();
  ASSERT_EQ(WaitState(up->document.id), "ready");
  search::SearchService fresh(docs_.get(), &embedder_);
  EXPECT_EQ(fresh.Search("x", 1).status().code(), Code::kUnavailable);  // not loaded yet
  ASSERT_TRUE(fresh.Load().ok());
  EXPECT_EQ(fresh.indexed_chunks(),
            static_cast<size_t>(service_->Get(up->document.id)->document.chunk_count));
  EXPECT_EQ((*fresh.Search("platypusmarker", 1))[0].document_id, up->document.id);
}

TEST_F(PipelineTest, SearchRejectsBadQueries) {
  EXPECT_EQ(search_->Search("   ", 5).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(search_->Search("x", 0).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(search_->Search("x", 1000).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(search_->Search(std::string(10000, 'a'), 5).status().code(), Code::kInvalidArgument);
}

TEST_F(PipelineTest, PersonalDataAndSecretsNeverReachChunksOrVectors) {
  const std::string text = LongText("koalamarker") +
                           "\n\nWrite to jane.doe@example.com or call 010-2345-6789.\n"
                           "The deploy key is AKIAQ2WERTY7UIOPASDF, do not share.\n";
  StatusOr<UploadResult> up = service_->Upload(Staged("notes.txt", text));
  ASSERT_TRUE(up.ok()) << up.status().ToString();
  StartWorkers();
  ASSERT_EQ(WaitState(up->document.id), "ready");
  std::string all_chunks;
  StatusOr<std::vector<store::Chunk>> chunks = docs_->ListChunks(up->document.id);
  ASSERT_TRUE(chunks.ok());
  for (const store::Chunk& c : *chunks) all_chunks += c.text + "\n";
  EXPECT_EQ(all_chunks.find("jane.doe@example.com"), std::string::npos);
  EXPECT_EQ(all_chunks.find("010-2345-6789"), std::string::npos);
  EXPECT_EQ(all_chunks.find("AKIAQ2WERTY7UIOPASDF"), std::string::npos);
  EXPECT_NE(all_chunks.find("<EMAIL>"), std::string::npos);
  EXPECT_NE(all_chunks.find("<SECRET:aws_access_key>"), std::string::npos);
  EXPECT_EQ(docs_->GetText(up->document.id)->text.find("jane.doe"), std::string::npos);
  store::RedactionCounts counts = service_->Get(up->document.id)->document.redactions;
  EXPECT_EQ(counts["email"], 1);
  EXPECT_EQ(counts["phone"], 1);
  EXPECT_EQ(counts["secret:aws_access_key"], 1);
}

TEST_F(PipelineTest, SecretPolicyRefuseDeadLettersTheDocument) {
  IngestOptions options{.secret_policy = pii::SecretPolicy::kRefuse};
  pipeline_ = std::make_unique<IngestPipeline>(
      IngestDeps{docs_.get(), blobs_.get(), steps_.get(), &embedders_, search_.get(), &validator_,
                 &scrubber_},
      options);
  StatusOr<UploadResult> up =
      service_->Upload(Staged("k.txt", LongText("x") + "key AKIAQ2WERTY7UIOPASDF\n"));
  StartWorkers();
  ASSERT_EQ(WaitState(up->document.id), "failed");
  jobs::Job job = *queue_->Get(up->document.job_id);
  EXPECT_EQ(job.last_error->error_class, jobs::ErrorClass::kBadInput);
  EXPECT_NE(job.last_error->message.find("aws_access_key"), std::string::npos);
  EXPECT_EQ(job.last_error->message.find("AKIAQ2WERTY7UIOPASDF"), std::string::npos);
}

TEST_F(PipelineTest, PdfChunksCiteTheirPage) {
  std::ifstream in(std::string(SG_DOCUMENT_FIXTURES) + "/good/english.pdf", std::ios::binary);
  const std::string pdf((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(pdf.empty());
  UploadRequest r = Staged("report.txt", pdf);  // misnamed and mistyped: the content decides
  StatusOr<UploadResult> up = service_->Upload(r);
  ASSERT_TRUE(up.ok()) << up.status().ToString();
  EXPECT_EQ(up->document.mime, "application/pdf");
  EXPECT_EQ(up->document.declared_mime, "text/plain");
  StartWorkers();
  ASSERT_EQ(WaitState(up->document.id), "ready");
  std::vector<int> pages;
  StatusOr<std::vector<store::Chunk>> chunks = docs_->ListChunks(up->document.id);
  ASSERT_TRUE(chunks.ok());
  for (const store::Chunk& c : *chunks) pages.push_back(c.page);
  ASSERT_FALSE(pages.empty());
  EXPECT_EQ(pages.front(), 1);
  EXPECT_GE(*std::max_element(pages.begin(), pages.end()), 2);
  EXPECT_TRUE(std::is_sorted(pages.begin(), pages.end()));
}

TEST_F(PipelineTest, ScopedCallersSeeOnlyTheirSubject) {
  UploadRequest a = Staged("a.txt", LongText("emumarker"));
  a.subject_id = "alice";
  UploadRequest b = Staged("b.txt", LongText("emumarker"));
  b.subject_id = "bob";
  StatusOr<UploadResult> ua = service_->Upload(a);
  StatusOr<UploadResult> ub = service_->Upload(b);
  StartWorkers();
  ASSERT_EQ(WaitState(ua->document.id), "ready");
  ASSERT_EQ(WaitState(ub->document.id), "ready");
  const DocumentService::Scope alice = std::string("alice");
  EXPECT_TRUE(service_->Get(ua->document.id, alice).ok());
  EXPECT_EQ(service_->Get(ub->document.id, alice).status().code(), Code::kNotFound);
  EXPECT_TRUE(service_->CheckJobInScope(ua->document.job_id, alice).ok());
  EXPECT_EQ(service_->CheckJobInScope(ub->document.job_id, alice).code(), Code::kNotFound);
  EXPECT_EQ(service_->CheckJobInScope(999999, alice).code(), Code::kNotFound);
  EXPECT_TRUE(service_->CheckJobInScope(ub->document.job_id, std::nullopt).ok());
  // Both documents are equally near the query; alice's search only ever sees hers.
  StatusOr<std::vector<search::SearchResult>> hits = search_->Search("emumarker", 50, alice);
  ASSERT_TRUE(hits.ok());
  ASSERT_FALSE(hits->empty());
  for (const auto& h : *hits) EXPECT_EQ(h.document_id, ua->document.id);
  bool saw_bob = false;
  StatusOr<std::vector<search::SearchResult>> all = search_->Search("emumarker", 50);
  ASSERT_TRUE(all.ok());
  for (const auto& h : *all) saw_bob |= h.document_id == ub->document.id;
  EXPECT_TRUE(saw_bob);  // an unscoped (admin) search covers every partition
  EXPECT_EQ(search_->partitions(), 2u);
  // Deleting another subject's document is NotFound and deletes nothing.
  EXPECT_EQ(service_->Delete(ub->document.id, alice).status().code(), Code::kNotFound);
  EXPECT_TRUE(service_->Get(ub->document.id).ok());
  EXPECT_EQ(service_->Delete(424242, alice).status().code(), Code::kNotFound);
  EXPECT_FALSE(service_->Delete(424242)->deleted);  // unscoped: idempotent, not an error
}

TEST_F(PipelineTest, FilenamesAreCheckedBeforeAnythingIsStored) {
  EXPECT_TRUE(CheckFilename("Scene 1 – 초안.txt").ok());
  for (const std::string& bad :
       {std::string(""), std::string(256, 'a'), std::string("a/b.txt"), std::string("a\\b.txt"),
        std::string("x\r\nSet-Cookie: y"), std::string(".."), std::string("bad\xff.txt"),
        std::string("nul\0.txt", 7)}) {
    EXPECT_EQ(CheckFilename(bad).code(), Code::kInvalidArgument) << bad;
  }
}

TEST_F(PipelineTest, ListPagesAndFiltersBySubject) {
  for (int i = 0; i < 5; ++i) {
    UploadRequest r = Staged("d" + std::to_string(i) + ".txt", "text " + std::to_string(i));
    r.subject_id = i % 2 ? "alice" : "bob";
    ASSERT_TRUE(service_->Upload(r).ok());
  }
  StatusOr<DocumentPage> p1 = service_->List(0, 2, std::nullopt);
  ASSERT_EQ(p1->documents.size(), 2u);
  ASSERT_TRUE(p1->next_after.has_value());
  StatusOr<DocumentPage> p2 = service_->List(*p1->next_after, 10, std::nullopt);
  EXPECT_EQ(p2->documents.size(), 3u);
  EXPECT_FALSE(p2->next_after.has_value());
  EXPECT_EQ(service_->List(0, 10, std::string("alice"))->documents.size(), 2u);
  EXPECT_EQ(service_->List(0, 0, std::nullopt).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace scriptgen::ingest
