// EmbedVersionService against the real SQLite store, the in-memory queue and hashing embedders
// that count what they embed: bootstrap, the embedding cache, register -> reindex -> activate ->
// rollback -> retire, and a reindex that stops half-way and resumes without re-embedding.
#include "versioning/embed_version_service.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>

#include "backends/sqlite/database.h"
#include "backends/sqlite/sqlite_document_store.h"
#include "backends/sqlite/sqlite_embed_version_store.h"
#include "embed/hash_embedder.h"
#include "ingest/chunk_embedding.h"
#include "jobs/memory_progress_bus.h"
#include "jobs/memory_queue.h"
#include "search/search_service.h"

namespace scriptgen::versioning {
namespace {

namespace stdfs = std::filesystem;
using store::EmbedVersionState;

// A hashing embedder that counts the texts it embeds and can cancel a job after N of them.
class CountingEmbedder final : public Embedder {
 public:
  explicit CountingEmbedder(size_t dim) : inner_(HashEmbedderOptions{.dimension = dim}) {}
  const std::string& version() const override { return inner_.version(); }
  size_t dimension() const override { return inner_.dimension(); }
  std::string_view provider() const override { return "hash"; }
  Status Embed(std::span<const std::string> texts, std::vector<float>* out) override {
    texts_ += texts.size();
    if (cancel_after_ > 0 && texts_ >= cancel_after_ && cancel_) cancel_->Cancel();
    return inner_.Embed(texts, out);
  }
  size_t texts() const { return texts_; }
  void CancelAfter(size_t n, std::shared_ptr<jobs::CancelToken> token) {
    cancel_after_ = n;
    cancel_ = std::move(token);
  }

 private:
  HashEmbedder inner_;
  std::atomic<size_t> texts_{0};
  size_t cancel_after_ = 0;
  std::shared_ptr<jobs::CancelToken> cancel_;
};

class EmbedVersionServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = stdfs::temp_directory_path() /
           ("sg-versions-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    stdfs::remove_all(dir_);
    stdfs::create_directories(dir_);
    Open();
  }
  void TearDown() override {
    service_.reset();
    search_.reset();
    db_.reset();
    stdfs::remove_all(dir_);
  }

  void Open() {
    service_.reset();
    search_.reset();
    versions_.reset();
    tx_.reset();
    docs_.reset();
    db_.reset();
    StatusOr<std::unique_ptr<sqlite::Database>> db = sqlite::Database::Open((dir_ / "db").string());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
    docs_ = std::make_unique<sqlite::SqliteDocumentStore>(db_.get());
    tx_ = std::make_unique<sqlite::SqliteTransactor>(db_.get());
    versions_ = std::make_unique<sqlite::SqliteEmbedVersionStore>(db_.get());
    search_ = std::make_unique<search::SearchService>(docs_.get());
    service_ = std::make_unique<EmbedVersionService>(
        EmbedVersionDeps{.versions = versions_.get(),
                         .documents = docs_.get(),
                         .transactor = tx_.get(),
                         .queue = &queue_,
                         .search = search_.get(),
                         .make_embedder = [this](const store::EmbedVersion& v)
                             -> StatusOr<std::shared_ptr<Embedder>> {
                           if (v.provider != "hash") return InvalidArgument("hash only here");
                           auto& e = embedders_[v.dimension];
                           if (!e) e = std::make_shared<CountingEmbedder>(v.dimension);
                           return std::shared_ptr<Embedder>(e);
                         }},
        EmbedVersionOptions{.reindex_batch = 8});
  }

  CountingEmbedder& Counting(int64_t dim) { return *embedders_.at(dim); }

  // A ready document with one chunk per text, embedded for every maintained version.
  store::DocumentId AddDocument(const std::vector<std::string>& texts) {
    store::NewDocument nd{
        .filename = "d.txt", .mime = "text/plain", .sha256 = "x", .size = 1, .blob_path = "b"};
    StatusOr<store::DocumentStore::CreateResult> created =
        docs_->Create(nd, [](store::WriteTx&, store::DocumentId) { return int64_t{1}; });
    EXPECT_TRUE(created.ok());
    const store::DocumentId id = created->document.id;
    std::vector<store::NewChunk> chunks;
    for (const std::string& t : texts) chunks.push_back({.text = t, .byte_length = t.size()});
    EXPECT_TRUE(
        tx_->Run([&](store::WriteTx& tx) { return docs_->ReplaceChunks(tx, id, chunks); }).ok());
    StatusOr<std::vector<store::Chunk>> stored = docs_->ListChunks(id);
    EXPECT_TRUE(stored.ok());
    std::vector<store::ChunkId> ids;
    for (const store::Chunk& c : *stored) ids.push_back(c.id);
    for (const auto& e : service_->embedders()->all()) {
      StatusOr<std::vector<float>> v = ingest::EmbedChunks(*docs_, *e, *stored, {}, &stats_);
      EXPECT_TRUE(v.ok());
      EXPECT_TRUE(tx_->Run([&](store::WriteTx& tx) {
                       return docs_->PutVectors(tx, e->version(), e->dimension(), ids, *v);
                     })
                      .ok());
    }
    EXPECT_TRUE(tx_->Run([&](store::WriteTx& tx) {
                     return docs_->MarkReady(tx, id, service_->embedders()->active()->version());
                   })
                    .ok());
    EXPECT_TRUE(search_->AddDocument(id).ok());
    return id;
  }

  // Claims the one queued reindex job and runs it with the given cancel token.
  Status RunReindex(std::shared_ptr<jobs::CancelToken> token = nullptr) {
    StatusOr<std::vector<jobs::Job>> jobs = queue_.Claim({"w", 1, std::chrono::seconds(30), {}});
    EXPECT_TRUE(jobs.ok() && jobs->size() == 1);
    if (!token) token = std::make_shared<jobs::CancelToken>();
    jobs::JobContext ctx((*jobs)[0], token, &queue_, &bus_);
    Status s = service_->RunReindexJob(ctx);
    jobs::FinishRequest done{
        (*jobs)[0].id, "w", s.ok() ? jobs::Outcome::kSucceeded : jobs::Outcome::kReleased, {}};
    (void)queue_.Finish(std::span(&done, 1));
    return s;
  }

  StatusOr<EmbedVersionStatus> Describe(const std::string& name) {
    return service_->Describe(name);
  }

  stdfs::path dir_;
  jobs::MemoryProgressBus bus_;
  jobs::MemoryQueue queue_{jobs::RetryPolicy(), &bus_};
  std::map<int64_t, std::shared_ptr<CountingEmbedder>> embedders_;
  ingest::EmbedStats stats_;
  std::unique_ptr<sqlite::Database> db_;
  std::unique_ptr<sqlite::SqliteDocumentStore> docs_;
  std::unique_ptr<sqlite::SqliteTransactor> tx_;
  std::unique_ptr<sqlite::SqliteEmbedVersionStore> versions_;
  std::unique_ptr<search::SearchService> search_;
  std::unique_ptr<EmbedVersionService> service_;
};

const EmbedVersionSpec kV1{.provider = "hash", .dimension = 64};
const EmbedVersionSpec kV2{.provider = "hash", .dimension = 32};

TEST_F(EmbedVersionServiceTest, AnEmptyRegistryGetsTheConfiguredVersionAsActive) {
  ASSERT_TRUE(service_->Start(kV1).ok());
  StatusOr<std::vector<EmbedVersionStatus>> all = service_->List();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].version.name, "hash-v1-64");
  EXPECT_EQ((*all)[0].version.state, EmbedVersionState::kActive);
  EXPECT_EQ(search_->embed_version(), "hash-v1-64");

  // A restart configured for another model registers it as building; search stays on v1.
  Open();
  ASSERT_TRUE(service_->Start(kV2).ok());
  StatusOr<EmbedVersionStatus> v2 = Describe("hash-v1-32");
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(v2->version.state, EmbedVersionState::kBuilding);
  EXPECT_EQ(search_->embed_version(), "hash-v1-64");
  EXPECT_EQ(service_->embedders()->all().size(), 2u) << "new uploads must feed the new version";
}

TEST_F(EmbedVersionServiceTest, IdenticalTextIsEmbeddedOnceAcrossDocumentsAndWithinOne) {
  ASSERT_TRUE(service_->Start(kV1).ok());
  AddDocument({"shared boilerplate disclaimer", "first unique line"});
  const size_t after_first = Counting(64).texts();
  EXPECT_EQ(after_first, 2u);
  AddDocument({"shared boilerplate disclaimer", "second unique line", "second unique line"});
  EXPECT_EQ(Counting(64).texts(), after_first + 1) << "only the new text goes to the embedder";
  EXPECT_EQ(stats_.cache_hits, 1u);
  EXPECT_EQ(stats_.duplicate_hits, 1u);
  // The cache never outlives content: deleting the documents deletes their vectors.
  StatusOr<int64_t> vectors = docs_->CountVectors("hash-v1-64");
  ASSERT_TRUE(vectors.ok());
  EXPECT_EQ(*vectors, 5);
}

TEST_F(EmbedVersionServiceTest, RegisterReindexActivateRollbackRetire) {
  ASSERT_TRUE(service_->Start(kV1).ok());
  for (int i = 0; i < 5; ++i) {
    AddDocument({"harbor lighthouse at dawn " + std::to_string(i), "second " + std::to_string(i)});
  }
  StatusOr<EmbedVersionService::Registered> v2 = service_->Register(kV2, "tok_admin");
  ASSERT_TRUE(v2.ok()) << v2.status().ToString();
  EXPECT_TRUE(v2->created);
  EXPECT_EQ(v2->version.state, EmbedVersionState::kBuilding);
  const std::string name = v2->version.name;
  StatusOr<EmbedVersionService::Registered> again = service_->Register(kV2, "tok_admin");
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created);

  StatusOr<std::string> early = service_->Activate(name, "tok_admin");
  EXPECT_EQ(early.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(early.status().message().find("10 chunks"), std::string::npos);

  StatusOr<jobs::JobId> job = service_->StartReindex(name, "tok_admin");
  ASSERT_TRUE(job.ok());
  StatusOr<jobs::JobId> same = service_->StartReindex(name, "tok_admin");
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(*same, *job) << "one reindex per version at a time";
  ASSERT_TRUE(RunReindex().ok());
  EXPECT_EQ(Describe(name)->missing, 0);
  EXPECT_EQ(Describe(name)->vectors, 10);

  StatusOr<std::string> previous = service_->Activate(name, "tok_admin");
  ASSERT_TRUE(previous.ok()) << previous.status().ToString();
  EXPECT_EQ(*previous, "hash-v1-64");
  EXPECT_EQ(search_->embed_version(), name);
  std::string used;
  StatusOr<std::vector<search::SearchResult>> hits =
      search_->Search("harbor lighthouse", 3, std::nullopt, &used);
  ASSERT_TRUE(hits.ok());
  EXPECT_EQ(used, name);
  EXPECT_FALSE(hits->empty());
  EXPECT_EQ(Describe("hash-v1-64")->version.state, EmbedVersionState::kStandby);

  // Uploads now feed both; switching back is the rollback and needs no re-embedding.
  AddDocument({"after the switch"});
  EXPECT_EQ(Describe("hash-v1-64")->missing, 0);
  const size_t v1_texts = Counting(64).texts();
  ASSERT_TRUE(service_->Activate("hash-v1-64", "tok_admin").ok());
  EXPECT_EQ(search_->embed_version(), "hash-v1-64");
  EXPECT_EQ(Counting(64).texts(), v1_texts);

  EXPECT_EQ(service_->Retire("hash-v1-64", "tok_admin").code(), Code::kFailedPrecondition);
  ASSERT_TRUE(service_->Retire(name, "tok_admin").ok());
  EXPECT_EQ(*docs_->CountVectors(name), 0);
  EXPECT_EQ(Describe(name)->version.state, EmbedVersionState::kRetired);
  EXPECT_EQ(service_->Activate(name, "tok_admin").status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(service_->StartReindex(name, "tok_admin").status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(service_->embedders()->Find(name), nullptr);
  EXPECT_EQ(service_->Activate("no-such", "tok_admin").status().code(), Code::kNotFound);
}

TEST_F(EmbedVersionServiceTest, AStoppedReindexResumesWithoutEmbeddingFinishedBatchesAgain) {
  ASSERT_TRUE(service_->Start(kV1).ok());
  for (int i = 0; i < 8; ++i) {
    AddDocument({"a" + std::to_string(i), "b" + std::to_string(i), "c" + std::to_string(i),
                 "d" + std::to_string(i), "e" + std::to_string(i)});
  }
  StatusOr<EmbedVersionService::Registered> v2 = service_->Register(kV2, "tok_admin");
  ASSERT_TRUE(v2.ok());
  ASSERT_TRUE(service_->StartReindex(v2->version.name, "tok_admin").ok());
  auto token = std::make_shared<jobs::CancelToken>();
  Counting(32).CancelAfter(16, token);  // stops after two batches of 8
  EXPECT_EQ(RunReindex(token).code(), Code::kCancelled);
  EXPECT_EQ(*docs_->CountVectors(v2->version.name), 16);
  EXPECT_EQ(Counting(32).texts(), 16u);

  Counting(32).CancelAfter(0, nullptr);
  ASSERT_TRUE(RunReindex().ok());  // the released job, claimed again
  EXPECT_EQ(Counting(32).texts(), 40u) << "the 16 finished chunks were embedded again";
  EXPECT_EQ(Describe(v2->version.name)->missing, 0);
}

}  // namespace
}  // namespace scriptgen::versioning
