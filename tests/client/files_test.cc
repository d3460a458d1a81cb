// Content types, folder walking and idempotency keys: what decides which bytes go up, and how.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "client/content_type.h"
#include "client/file_walker.h"
#include "client/idempotency_key.h"

namespace scriptgen::client {
namespace {

namespace fs = std::filesystem;

TEST(ContentType, FromExtensionCaseInsensitive) {
  EXPECT_EQ(ContentTypeForPath("a.md"), "text/markdown");
  EXPECT_EQ(ContentTypeForPath("dir/B.MarkDown"), "text/markdown");
  EXPECT_EQ(ContentTypeForPath("a.TXT"), "text/plain");
  EXPECT_EQ(ContentTypeForPath("a.text"), "text/plain");
  EXPECT_EQ(ContentTypeForPath("a.pdf"), "application/octet-stream");
  EXPECT_EQ(ContentTypeForPath("README"), "application/octet-stream");
  EXPECT_EQ(ContentTypeForPath(".md"), "application/octet-stream");  // a hidden file, no extension
}

class FileWalker : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sg-client-walk-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
  }
  void TearDown() override { fs::remove_all(root_); }
  void Write(const std::string& rel, const std::string& content) {
    fs::create_directories((root_ / rel).parent_path());
    std::ofstream(root_ / rel) << content;
  }
  std::vector<std::string> Names(const WalkResult& w) {
    std::vector<std::string> out;
    for (const FileEntry& f : w.files) out.push_back(fs::relative(f.path, root_).string());
    return out;
  }
  fs::path root_;
};

TEST_F(FileWalker, WalksRecursivelySortedAndSkipsHidden) {
  Write("b.txt", "bb");
  Write("a.md", "a");
  Write("sub/z.txt", "zzz");
  Write("sub/deeper/y.text", "y");
  Write(".hidden.txt", "h");
  Write(".git/config", "g");
  Write("sub/.cache/x.txt", "x");
  WalkResult w = CollectFiles({root_.string()});
  EXPECT_TRUE(w.errors.empty());
  EXPECT_EQ(Names(w),
            (std::vector<std::string>{"a.md", "b.txt", "sub/deeper/y.text", "sub/z.txt"}));
  EXPECT_EQ(w.files[1].size, 2u);
  EXPECT_NE(w.files[1].mtime_ns, 0);
}

TEST_F(FileWalker, ExplicitFilesAreKeptEvenHiddenAndDuplicatesDropped) {
  Write("dir/a.txt", "a");
  Write(".secret.md", "s");
  WalkResult w = CollectFiles(
      {(root_ / ".secret.md").string(), (root_ / "dir").string(), (root_ / "dir/a.txt").string()});
  EXPECT_EQ(Names(w), (std::vector<std::string>{".secret.md", "dir/a.txt"}));
}

TEST_F(FileWalker, ReportsMissingPaths) {
  Write("a.txt", "a");
  WalkResult w = CollectFiles({(root_ / "nope").string(), (root_ / "a.txt").string()});
  ASSERT_EQ(w.errors.size(), 1u);
  EXPECT_NE(w.errors[0].find("nope"), std::string::npos);
  EXPECT_EQ(w.files.size(), 1u);
}

TEST_F(FileWalker, IdempotencyKeyFollowsPathSizeMtimeAndSubject) {
  Write("a.txt", "a");
  Write("b.txt", "a");
  const FileEntry a = CollectFiles({(root_ / "a.txt").string()}).files.at(0);
  const FileEntry b = CollectFiles({(root_ / "b.txt").string()}).files.at(0);
  const std::string key = IdempotencyKey(a, "");
  EXPECT_EQ(key.rfind("cli-", 0), 0u);
  EXPECT_EQ(key.size(), 44u);
  EXPECT_EQ(IdempotencyKey(a, ""), key);  // stable across runs
  FileEntry relative = a;
  const fs::path cwd = fs::current_path();
  fs::current_path(root_);
  relative.path = "a.txt";
  EXPECT_EQ(IdempotencyKey(relative, ""), key);  // same file, however it was named
  fs::current_path(cwd);
  EXPECT_NE(IdempotencyKey(b, ""), key);
  EXPECT_NE(IdempotencyKey(a, "subject-1"), key);
  FileEntry touched = a;
  touched.mtime_ns += 1;
  EXPECT_NE(IdempotencyKey(touched, ""), key);
  FileEntry grown = a;
  grown.size += 1;
  EXPECT_NE(IdempotencyKey(grown, ""), key);
}

}  // namespace
}  // namespace scriptgen::client
