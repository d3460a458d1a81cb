// The server over TLS: verification against a certificate made by the test, security headers
// (HSTS), plain HTTP and old protocols or ciphers refused without harming the server, SSE and
// streamed uploads over TLS, and Start() errors for bad certificate/key files.
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "http/server.h"
#include "http/sse_stream.h"
#include "test_client.h"
#include "test_server.h"

namespace scriptgen::http {
namespace {

using testing::Conn;
using testing::FetchTls;
using testing::MakeRequest;
using testing::TestServer;
using testing::TlsClientOptions;
using namespace std::chrono_literals;

// Runs a shell command; true if it exited 0.
bool RunShell(const std::string& cmd) {
  return std::system(cmd.c_str()) == 0;
}

class TlsTest : public ::testing::Test {
 protected:
  // One certificate for the suite: key generation is the slow part. A self-signed EC (P-256)
  // certificate for localhost and 127.0.0.1, plus an unrelated key for the mismatch test.
  static void SetUpTestSuite() {
    dir_ = new std::string(testing::MakeTempDir());
    const std::string d = *dir_;
    ok_ = RunShell(
              "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout " +
              d + "/key.pem -out " + d +
              "/cert.pem -days 2 -subj /CN=localhost"
              " -addext subjectAltName=DNS:localhost,IP:127.0.0.1 >/dev/null 2>&1") &&
          RunShell("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out " + d +
                   "/other_key.pem >/dev/null 2>&1");
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }
  void SetUp() override { ASSERT_TRUE(ok_) << "openssl CLI could not make a test certificate"; }

  static std::string Path(const char* name) { return *dir_ + "/" + name; }
  static ServerOptions TlsOptions() {
    ServerOptions o;
    o.tls_cert_file = Path("cert.pem");
    o.tls_key_file = Path("key.pem");
    return o;
  }
  static TlsClientOptions Client() { return {.ca_file = Path("cert.pem")}; }

  static Router MakeRouter() {
    Router r;
    r.Add("GET", "/hello", [](Request&) {
      return Response{.status = 200, .content_type = "text/plain", .body = "hello over tls"};
    });
    r.Add("POST", "/upload",
          [](Request& req) {
            return Response{.status = 200,
                            .content_type = "text/plain",
                            .body = std::to_string(req.body_size) + " " + req.body_sha256_hex};
          },
          {.stream_body_to_file = true, .max_body_bytes = 8 << 20});
    r.AddSse("/events", [](Request&, std::shared_ptr<SseStream> s) -> std::optional<Response> {
      s->Send("greeting", "1", "one");
      // Later events come from another thread, as a progress bus would send them.
      std::thread([s] {
        std::this_thread::sleep_for(50ms);
        s->Send("greeting", "2", "two");
        s->Close();
      }).detach();
      return std::nullopt;
    });
    return r;
  }

  static std::string* dir_;
  static bool ok_;
};

std::string* TlsTest::dir_ = nullptr;
bool TlsTest::ok_ = false;

void ExpectSecurityHeaders(const testing::HttpResult& r, bool tls) {
  EXPECT_EQ(r.Header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(r.Header("Cache-Control"), "no-store");
  EXPECT_EQ(r.Header("X-Frame-Options"), "DENY");
  EXPECT_EQ(r.Header("Referrer-Policy"), "no-referrer");
  if (tls) {
    EXPECT_EQ(r.Header("Strict-Transport-Security"), "max-age=31536000");
  } else {
    EXPECT_FALSE(r.Header("Strict-Transport-Security"));
  }
  EXPECT_FALSE(r.Header("Server"));
}

TEST_F(TlsTest, VerifiedRequestsWithSecurityHeadersAndKeepAlive) {
  TestServer s(MakeRouter(), TlsOptions());
  Conn c(s.port(), Client());
  ASSERT_TRUE(c.connected()) << c.tls_error();
  for (int i = 0; i < 2; ++i) {  // two requests on one TLS connection
    ASSERT_TRUE(c.Send(MakeRequest("GET", "/hello")));
    auto r = c.ReadResponse();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "hello over tls");
    ExpectSecurityHeaders(*r, /*tls=*/true);
  }
  auto missing = FetchTls(s.port(), Client(), "GET", "/nope");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  ExpectSecurityHeaders(*missing, /*tls=*/true);
  EXPECT_EQ(s.server().stats().tls_handshake_failures, 0u);
}

TEST_F(TlsTest, WrongHostNameFailsVerification) {
  TestServer s(MakeRouter(), TlsOptions());
  TlsClientOptions client = Client();
  client.host = "example.com";
  Conn c(s.port(), client);
  EXPECT_FALSE(c.connected());
  // The server is unharmed.
  auto r = FetchTls(s.port(), Client(), "GET", "/hello");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(TlsTest, PlainHttpOnTheTlsPortIsClosedAndServingContinues) {
  TestServer s(MakeRouter(), TlsOptions());
  Conn plain(s.port());
  ASSERT_TRUE(plain.connected());
  ASSERT_TRUE(plain.Send(MakeRequest("GET", "/hello")));
  auto r = plain.ReadResponse(false, 5s);
  EXPECT_FALSE(r && r->status == 200);
  EXPECT_TRUE(plain.WaitForClose(5s));
  for (int i = 0; i < 100 && s.server().stats().tls_handshake_failures == 0; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(s.server().stats().tls_handshake_failures, 1u);
  auto ok = FetchTls(s.port(), Client(), "GET", "/hello");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
}

TEST_F(TlsTest, OldProtocolsAndWeakCiphersAreRefused) {
  TestServer s(MakeRouter(), TlsOptions());
  TlsClientOptions tls11 = Client();
  tls11.min_version = TLS1_1_VERSION;
  tls11.max_version = TLS1_1_VERSION;
  Conn old(s.port(), tls11);
  EXPECT_FALSE(old.connected());
  // The refusal came from the server (a protocol_version alert), not from the client library
  // declining to offer TLS 1.1.
  EXPECT_EQ(old.tls_error_reason(), static_cast<unsigned long>(SSL_R_TLSV1_ALERT_PROTOCOL_VERSION))
      << old.tls_error();

  // TLS 1.2 itself is fine...
  TlsClientOptions tls12 = Client();
  tls12.max_version = TLS1_2_VERSION;
  Conn modern(s.port(), tls12);
  EXPECT_TRUE(modern.connected()) << modern.tls_error();
  EXPECT_EQ(modern.tls_cipher().find("CBC"), std::string::npos);
  EXPECT_NE(modern.tls_cipher().find("ECDHE"), std::string::npos) << modern.tls_cipher();
  // ...but not with a CBC suite.
  TlsClientOptions cbc = tls12;
  cbc.cipher_list = "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384";
  Conn weak(s.port(), cbc);
  EXPECT_FALSE(weak.connected());
  EXPECT_EQ(weak.tls_error_reason(),
            static_cast<unsigned long>(SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE))
      << weak.tls_error();

  for (int i = 0; i < 100 && s.server().stats().tls_handshake_failures < 2; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(s.server().stats().tls_handshake_failures, 2u);
}

TEST_F(TlsTest, HandshakeHasATimeout) {
  ServerOptions o = TlsOptions();
  o.tls_handshake_timeout = 300ms;
  TestServer s(MakeRouter(), o);
  Conn idle(s.port());  // connects, never says hello
  ASSERT_TRUE(idle.connected());
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(idle.WaitForClose(5s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  for (int i = 0; i < 100 && s.server().stats().tls_handshake_failures == 0; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(s.server().stats().tls_handshake_failures, 1u);
}

TEST_F(TlsTest, SseOverTls) {
  TestServer s(MakeRouter(), TlsOptions());
  Conn c(s.port(), Client());
  ASSERT_TRUE(c.connected()) << c.tls_error();
  ASSERT_TRUE(c.Send(MakeRequest("GET", "/events")));
  auto head = c.ReadHeader();
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->Header("Content-Type"), "text/event-stream");
  ExpectSecurityHeaders(*head, /*tls=*/true);
  auto first = c.ReadChunkedUntil("data: one\n\n");
  ASSERT_TRUE(first);
  EXPECT_NE(first->find("event: greeting"), std::string::npos);
  EXPECT_TRUE(c.ReadChunkedUntil("data: two\n\n"));
  EXPECT_TRUE(c.ReadChunkedEnd());
  EXPECT_TRUE(c.WaitForClose(5s));
}

TEST_F(TlsTest, StreamedUploadOverTls) {
  ServerOptions o = TlsOptions();
  std::string dir = testing::MakeTempDir();
  o.upload_dir = dir;
  {
    TestServer s(MakeRouter(), o);
    std::string body(3 << 20, 'z');
    for (size_t i = 0; i < body.size(); i += 7) body[i] = static_cast<char>('a' + i % 26);
    Conn c(s.port(), Client());
    ASSERT_TRUE(c.connected()) << c.tls_error();
    ASSERT_TRUE(c.Send(MakeRequest("POST", "/upload", body)));
    auto r = c.ReadResponse();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body.substr(0, r->body.find(' ')), std::to_string(body.size()));
    EXPECT_EQ(r->body.size(), std::to_string(body.size()).size() + 1 + 64);
  }
  std::filesystem::remove_all(dir);
}

TEST_F(TlsTest, CurlVerifiesAndReadsACleanClose) {
  if (!RunShell("curl --version >/dev/null 2>&1")) GTEST_SKIP() << "curl not installed";
  TestServer s(MakeRouter(), TlsOptions());
  std::string out = Path("curl.out");
  std::string port = std::to_string(s.port());
  // --fail-with-body plus the exit status: curl reports truncation or a bad certificate as errors.
  std::string cmd = "curl -sS --fail-with-body --cacert " + Path("cert.pem") +
                    " --resolve localhost:" + port + ":127.0.0.1 -D - https://localhost:" + port +
                    "/hello -o - > " + out + " 2>&1";
  EXPECT_TRUE(RunShell(cmd));
  std::ifstream in(out);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  for (char& ch : text) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  EXPECT_NE(text.find("strict-transport-security: max-age=31536000"), std::string::npos) << text;
  EXPECT_NE(text.find("hello over tls"), std::string::npos) << text;
  EXPECT_EQ(text.find("server:"), std::string::npos) << text;
}

TEST_F(TlsTest, StartRejectsBadCertificateConfiguration) {
  auto start = [](ServerOptions o) {
    o.listen = "127.0.0.1:0";
    Server server(std::move(o), MakeRouter());
    Status st = server.Start();
    server.Stop(0ms);
    return st;
  };
  ServerOptions o = TlsOptions();
  o.tls_key_file = Path("other_key.pem");
  Status st = start(o);
  EXPECT_EQ(st.code(), Code::kInvalidArgument) << st.ToString();
  EXPECT_NE(st.message().find("other_key.pem"), std::string::npos) << st.ToString();

  o = TlsOptions();
  o.tls_key_file.clear();
  st = start(o);
  EXPECT_EQ(st.code(), Code::kInvalidArgument) << st.ToString();
  EXPECT_NE(st.message().find("--tls-key"), std::string::npos) << st.ToString();

  o = TlsOptions();
  o.tls_cert_file = Path("does-not-exist.pem");
  st = start(o);
  EXPECT_EQ(st.code(), Code::kInvalidArgument) << st.ToString();
  EXPECT_NE(st.message().find("does-not-exist.pem"), std::string::npos) << st.ToString();

  {
    std::ofstream junk(Path("junk.pem"));
    junk << "not a certificate\n";
  }
  o = TlsOptions();
  o.tls_cert_file = Path("junk.pem");
  st = start(o);
  EXPECT_EQ(st.code(), Code::kInvalidArgument) << st.ToString();

  // The key swapped for the certificate: loads as neither.
  o = TlsOptions();
  std::swap(o.tls_cert_file, o.tls_key_file);
  st = start(o);
  EXPECT_EQ(st.code(), Code::kInvalidArgument) << st.ToString();
  // Error messages never quote key material.
  EXPECT_EQ(st.message().find("PRIVATE KEY-----"), std::string::npos);
}

TEST_F(TlsTest, TlsMayListenOnAllInterfaces) {
  ServerOptions o = TlsOptions();
  o.listen = "0.0.0.0:0";  // binds only; the test sends nothing off the machine
  Server server(std::move(o), MakeRouter());
  Status st = server.Start();
  EXPECT_TRUE(st.ok()) << st.ToString();
  auto r = FetchTls(server.port(), Client(), "GET", "/hello");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  server.Stop(1s);
}

}  // namespace
}  // namespace scriptgen::http
