// ExtractMultipartFile: streaming extraction, boundaries across read chunks, malformed input.
#include "http/multipart.h"

#include <gtest/gtest.h>
#include <openssl/sha.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include "test_client.h"

namespace scriptgen::http {
namespace {

std::string Sha(std::string_view data) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), d);
  char hex[2 * SHA256_DIGEST_LENGTH + 1];
  for (int i = 0; i < SHA256_DIGEST_LENGTH; ++i) std::snprintf(hex + 2 * i, 3, "%02x", d[i]);
  return hex;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

class MultipartTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::MakeTempDir(); }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  StatusOr<MultipartFile> Run(const std::string& body, std::string_view content_type,
                              std::string_view field = "file") {
    std::string path = dir_ + "/body";
    std::ofstream(path, std::ios::binary) << body;
    std::filesystem::create_directories(dir_ + "/out");
    auto r = ExtractMultipartFileFromPath(path, content_type, field, dir_ + "/out");
    if (!r.ok()) {
      EXPECT_EQ(testing::CountFiles(dir_ + "/out"), 0u) << "no file may be left on error";
    }
    return r;
  }

  std::string dir_;
};

TEST_F(MultipartTest, ExtractsNamedPartAfterPreambleAndOtherParts) {
  std::string body =
      "preamble to ignore\r\n"
      "--b0undary\r\n"
      "Content-Disposition: form-data; name=\"title\"\r\n\r\n"
      "A title\r\n"
      "--b0undary  \r\n"  // transport padding after the boundary is allowed
      "content-disposition: form-data; name=\"file\"; filename=\"my \\\"doc\\\".txt\"\r\n"
      "Content-Type: text/plain\r\n\r\n"
      "line1\r\nline2\r\n--not-the-boundary\r\n"
      "\r\n--b0undary--\r\nepilogue";
  auto r = Run(body, "multipart/form-data; boundary=\"b0undary\"");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::string want = "line1\r\nline2\r\n--not-the-boundary\r\n";
  EXPECT_EQ(ReadFile(r->path), want);
  EXPECT_EQ(r->size, want.size());
  EXPECT_EQ(r->sha256_hex, Sha(want));
  EXPECT_EQ(r->filename, "my \"doc\".txt");
  EXPECT_EQ(r->content_type, "text/plain");
}

TEST_F(MultipartTest, LargePartWithNearBoundariesAcrossChunks) {
  // 3 MB of content seeded with partial delimiters so that matches straddle the 64 KiB reads.
  std::mt19937 rng(7);
  std::string content;
  while (content.size() < 3 * 1024 * 1024) {
    content.push_back(static_cast<char>(rng()));
    if (rng() % 5000 == 0) content += "\r\n--bound";  // a prefix of the delimiter, never all
  }
  std::string body =
      "--boundaryX\r\nContent-Disposition: form-data; name=\"file\"; "
      "filename*=UTF-8''%E2%82%AC%20rates.txt\r\n\r\n" +
      content + "\r\n--boundaryX--\r\n";
  auto r = Run(body, "multipart/form-data; boundary=boundaryX");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->size, content.size());
  EXPECT_EQ(r->sha256_hex, Sha(content));
  EXPECT_EQ(r->filename, "\xE2\x82\xAC rates.txt");
  EXPECT_EQ(r->content_type, "");
}

TEST_F(MultipartTest, EmptyPart) {
  auto r = Run("--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n\r\n--b--",
               "multipart/form-data; boundary=b");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->size, 0u);
  EXPECT_EQ(r->filename, "");
}

TEST_F(MultipartTest, MalformedInputsAreInvalidArgument) {
  const std::string ct = "multipart/form-data; boundary=b";
  const std::string part = "--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n";
  struct Case {
    std::string name, body, content_type;
  } cases[] = {
      {"not multipart", part + "x\r\n--b--", "text/plain"},
      {"no boundary", part + "x\r\n--b--", "multipart/form-data"},
      {"no closing boundary", part + "truncated content", ct},
      {"no such field", "--b\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nx\r\n--b--",
       ct},
      {"empty body", "", ct},
      {"garbage after boundary", "--bXYZ\r\n\r\nx\r\n--b--", ct},
      {"header without colon", "--b\r\nnot a header\r\n\r\nx\r\n--b--", ct},
      {"unterminated quote", "--b\r\nContent-Disposition: form-data; name=\"file\r\n\r\nx\r\n--b--",
       ct},
      {"truncated headers", "--b\r\nContent-Disposition: form-da", ct},
      {"huge headers", "--b\r\nX: " + std::string(40000, 'h'), ct},
  };
  for (const auto& c : cases) {
    auto r = Run(c.body, c.content_type);
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << c.name << ": " << r.status().ToString();
  }
}

TEST_F(MultipartTest, WorksOnInMemoryBody) {
  Request req;
  req.headers.emplace_back("content-type", "multipart/form-data; boundary=zz");
  req.body = "--zz\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc\r\n--zz--\r\n";
  auto r = ExtractMultipartFile(req, "file", dir_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ReadFile(r->path), "abc");
}

}  // namespace
}  // namespace scriptgen::http
