// SqliteDocumentStore round trips of what the document formats added: declared vs sniffed type,
// text sections, redaction counts, and chunk citations (page, heading).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "backends/sqlite/database.h"
#include "backends/sqlite/sqlite_document_store.h"

namespace scriptgen::sqlite {
namespace {

namespace stdfs = std::filesystem;

class DocumentStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = stdfs::temp_directory_path() /
           ("sg-docstore-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    stdfs::remove_all(dir_);
    stdfs::create_directories(dir_);
    StatusOr<std::unique_ptr<Database>> db = Database::Open((dir_ / "db").string());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
    docs_ = std::make_unique<SqliteDocumentStore>(db_.get());
    tx_ = std::make_unique<SqliteTransactor>(db_.get());
  }
  void TearDown() override {
    docs_.reset();
    db_.reset();
    stdfs::remove_all(dir_);
  }

  store::DocumentId Create() {
    store::NewDocument doc{.filename = "a.pdf",
                           .mime = "application/pdf",
                           .declared_mime = "text/plain",
                           .sha256 = std::string(64, 'a'),
                           .size = 10,
                           .blob_path = "blobs/x"};
    auto created = docs_->Create(doc, [](store::WriteTx&, store::DocumentId) { return 7; });
    EXPECT_TRUE(created.ok());
    return created.ok() ? created->document.id : 0;
  }

  stdfs::path dir_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<SqliteDocumentStore> docs_;
  std::unique_ptr<SqliteTransactor> tx_;
};

TEST_F(DocumentStoreTest, KeepsDeclaredAndSniffedTypesApart) {
  const store::DocumentId id = Create();
  StatusOr<store::Document> doc = docs_->Get(id);
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(doc->mime, "application/pdf");
  EXPECT_EQ(doc->declared_mime, "text/plain");
  EXPECT_TRUE(doc->redactions.empty());
}

TEST_F(DocumentStoreTest, TextSectionsAndRedactionCountsRoundTrip) {
  const store::DocumentId id = Create();
  store::DocumentText text{"page one\npage two \"quoted\"",
                           {{0, 1, ""}, {9, 2, "Intro > \"Scope\" \xea\xb0\x80"}}};
  store::RedactionCounts counts{{"email", 2}, {"secret:aws_access_key", 1}};
  ASSERT_TRUE(
      tx_->Run([&](store::WriteTx& tx) { return docs_->PutText(tx, id, text, &counts); }).ok());
  StatusOr<store::DocumentText> back = docs_->GetText(id);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->text, text.text);
  ASSERT_EQ(back->sections.size(), 2u);
  EXPECT_EQ(back->sections[1].byte_offset, 9u);
  EXPECT_EQ(back->sections[1].page, 2);
  EXPECT_EQ(back->sections[1].heading, text.sections[1].heading);
  EXPECT_EQ(docs_->Get(id)->redactions, counts);

  // Replacing the text without counts keeps the counts; with counts replaces them.
  store::DocumentText plain{"scrubbed", {}};
  ASSERT_TRUE(tx_->Run([&](store::WriteTx& tx) { return docs_->PutText(tx, id, plain); }).ok());
  EXPECT_EQ(docs_->GetText(id)->sections.size(), 0u);
  EXPECT_EQ(docs_->Get(id)->redactions, counts);
}

TEST_F(DocumentStoreTest, ChunksCarryTheirCitation) {
  const store::DocumentId id = Create();
  std::vector<store::NewChunk> chunks{{"one", 0, 3, 1, "A"}, {"two", 4, 3, 2, "A > B"}};
  ASSERT_TRUE(
      tx_->Run([&](store::WriteTx& tx) { return docs_->ReplaceChunks(tx, id, chunks); }).ok());
  StatusOr<std::vector<store::Chunk>> listed = docs_->ListChunks(id);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[1].page, 2);
  EXPECT_EQ((*listed)[1].heading, "A > B");
  StatusOr<std::vector<store::Chunk>> got = docs_->GetChunks({(*listed)[0].id});
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ(got->front().page, 1);
  EXPECT_EQ(got->front().heading, "A");
}

TEST_F(DocumentStoreTest, PutTextOnADeletedDocumentIsNotFound) {
  const store::DocumentId id = Create();
  ASSERT_TRUE(tx_->Run([&](store::WriteTx& tx) { return docs_->Delete(tx, id).status(); }).ok());
  store::RedactionCounts counts{{"email", 1}};
  Status s = tx_->Run([&](store::WriteTx& tx) {
    return docs_->PutText(tx, id, store::DocumentText{"x", {}}, &counts);
  });
  EXPECT_EQ(s.code(), Code::kNotFound);
}

}  // namespace
}  // namespace scriptgen::sqlite
