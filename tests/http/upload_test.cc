// Streaming uploads: spooled to a temp file while hashed, size limits, cleanup of temp files.
#include <gtest/gtest.h>
#include <openssl/sha.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include "http/multipart.h"
#include "http/server.h"
#include "test_client.h"
#include "test_server.h"

namespace scriptgen::http {
namespace {

using testing::Conn;
using testing::CountFiles;
using testing::Fetch;
using testing::MakeRequest;
using testing::TestServer;
using namespace std::chrono_literals;

std::string RandomBytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

// Independent of sg_http's streaming hasher: OpenSSL's one-shot SHA256().
std::string OneShotSha256(std::string_view data) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), d);
  char hex[2 * SHA256_DIGEST_LENGTH + 1];
  for (int i = 0; i < SHA256_DIGEST_LENGTH; ++i) std::snprintf(hex + 2 * i, 3, "%02x", d[i]);
  return hex;
}

std::string Chunked(std::string_view body, size_t piece) {
  std::string out;
  for (size_t i = 0; i < body.size(); i += piece) {
    std::string_view p = body.substr(i, piece);
    char line[32];
    std::snprintf(line, sizeof line, "%zx\r\n", p.size());
    out.append(line).append(p).append("\r\n");
  }
  return out + "0\r\n\r\n";
}

class UploadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir();
    keep_dir_ = testing::MakeTempDir();
    Router r;
    r.Add("POST", "/upload",
          [this](Request& req) {
            // The file exists while the handler runs, and holds exactly the body.
            std::ifstream in(req.body_file, std::ios::binary);
            std::string content((std::istreambuf_iterator<char>(in)), {});
            bool matches = content.size() == req.body_size;
            if (req.QueryParam("keep")) {
              std::filesystem::rename(req.body_file, keep_dir_ + "/kept");
            }
            return Response{.status = 200,
                            .content_type = "text/plain",
                            .body = req.body_sha256_hex + " " + std::to_string(req.body_size) +
                                    (matches ? " ok" : " mismatch")};
          },
          {.stream_body_to_file = true, .max_body_bytes = 8 << 20});
    r.Add("POST", "/multipart",
          [this](Request& req) {
            auto part = ExtractMultipartFile(req, "file", keep_dir_);
            if (!part.ok()) return ErrorResponse(part.status());
            std::string body = part->sha256_hex + " " + std::to_string(part->size) + " " +
                               part->filename + " " + part->content_type;
            std::filesystem::remove(part->path);
            return Response{.status = 200, .content_type = "text/plain", .body = body};
          },
          {.stream_body_to_file = true, .max_body_bytes = 8 << 20});
    ServerOptions o;
    o.upload_dir = dir_;
    server_ = std::make_unique<TestServer>(std::move(r), o);
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
    std::filesystem::remove_all(keep_dir_);
  }
  uint16_t port() const { return server_->port(); }

  std::string dir_;
  std::string keep_dir_;
  std::unique_ptr<TestServer> server_;
};

TEST_F(UploadTest, StreamedBodyHashMatchesIndependentSha256) {
  std::string body = RandomBytes(3 * 1024 * 1024 + 17, 1);
  auto r = Fetch(port(), "POST", "/upload", body);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, OneShotSha256(body) + " " + std::to_string(body.size()) + " ok");
  EXPECT_EQ(CountFiles(dir_), 0u) << "temp file must be deleted after the handler";
}

TEST_F(UploadTest, ChunkedBodyAndExpectContinue) {
  std::string body = RandomBytes(1024 * 1024 + 3, 2);
  Conn c(port());
  ASSERT_TRUE(c.Send(
      MakeRequest("POST", "/upload", Chunked(body, 100000), {{"Transfer-Encoding", "chunked"}})));
  auto r = c.ReadResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, OneShotSha256(body) + " " + std::to_string(body.size()) + " ok");

  // Expect: 100-continue: the server invites the body before the client sends it.
  std::string small = "hello";
  std::string head =
      MakeRequest("POST", "/upload", "", {{"Content-Length", "5"}, {"Expect", "100-continue"}});
  ASSERT_TRUE(c.Send(head));
  EXPECT_EQ(c.ReadRawLine(), "HTTP/1.1 100 Continue");
  EXPECT_EQ(c.ReadRawLine(), "");
  ASSERT_TRUE(c.Send(small));
  r = c.ReadResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, OneShotSha256(small) + " 5 ok");
  EXPECT_EQ(CountFiles(dir_), 0u);
}

TEST_F(UploadTest, EmptyBodyStillGetsAFile) {
  auto r = Fetch(port(), "POST", "/upload");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, OneShotSha256("") + " 0 ok");
}

TEST_F(UploadTest, HandlerMayKeepTheFileByRenaming) {
  std::string body = RandomBytes(100000, 3);
  auto r = Fetch(port(), "POST", "/upload?keep=1", body);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  std::ifstream in(keep_dir_ + "/kept", std::ios::binary);
  std::string kept((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(kept, body);
  EXPECT_EQ(CountFiles(dir_), 0u);
}

TEST_F(UploadTest, TooLargeByContentLength) {
  Conn c(port());
  // Only the header is sent: the 413 must come from Content-Length alone.
  ASSERT_TRUE(c.Send(MakeRequest("POST", "/upload", "", {{"Content-Length", "9000000"}})));
  auto r = c.ReadResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_NE(r->body.find(R"("code":"payload_too_large")"), std::string::npos);
  EXPECT_TRUE(c.WaitForClose(5s));
  EXPECT_EQ(CountFiles(dir_), 0u);
}

TEST_F(UploadTest, TooLargeWhileStreamingChunked) {
  Conn c(port());
  ASSERT_TRUE(c.Send(MakeRequest("POST", "/upload", "", {{"Transfer-Encoding", "chunked"}})));
  // Send 9 MB in chunks without a length; the server must cut us off at 8 MiB.
  std::string piece = Chunked(RandomBytes(256 * 1024, 4), 256 * 1024);
  piece.resize(piece.size() - 5);  // drop the terminating chunk: more is coming
  for (int i = 0; i < 36; ++i) {
    if (!c.Send(piece)) break;  // the server may close while we are still sending
  }
  auto r = c.ReadResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_TRUE(c.WaitForClose(5s));
  // The partial temp file is gone.
  for (int i = 0; i < 100 && CountFiles(dir_) != 0; ++i) usleep(10000);
  EXPECT_EQ(CountFiles(dir_), 0u);
}

TEST_F(UploadTest, MultipartUploadEndToEnd) {
  std::string content = RandomBytes(2 * 1024 * 1024, 5);
  std::string body =
      "--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi\r\n"
      "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"r.bin\"\r\n"
      "Content-Type: application/octet-stream\r\n\r\n" +
      content + "\r\n--XyZ--\r\n";
  auto r = Fetch(port(), "POST", "/multipart", body,
                 {{"Content-Type", "multipart/form-data; boundary=XyZ"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, OneShotSha256(content) + " " + std::to_string(content.size()) +
                         " r.bin application/octet-stream");
  r = Fetch(port(), "POST", "/multipart", "--XyZ\r\nbroken",
            {{"Content-Type", "multipart/form-data; boundary=XyZ"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("invalid_argument"), std::string::npos);
  EXPECT_EQ(CountFiles(dir_), 0u);
  EXPECT_EQ(CountFiles(keep_dir_), 0u);
}

}  // namespace
}  // namespace scriptgen::http
