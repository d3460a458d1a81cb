// OpenAiEmbedder over HTTPS against the fake provider with a certificate chain made by the test
// (openssl CLI into a temporary directory): the right CA works by IP address and by DNS name (SNI),
// a wrong CA, the system trust store (which does not know the test CA) and a certificate for
// another host are all refused before any request is sent.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "embed/openai_embedder.h"
#include "fake_openai_server.h"

namespace scriptgen::embed {
namespace {

using namespace std::chrono_literals;
using testing::FakeOpenAiServer;

constexpr size_t kDim = 4;

bool RunQuiet(const std::string& cmd) {
  return std::system((cmd + " >/dev/null 2>&1").c_str()) == 0;
}

class OpenAiTlsTest : public ::testing::Test {
 protected:
  // A CA, a server certificate it signs for localhost + 127.0.0.1, an unrelated CA, and a
  // certificate from the good CA for another host only. EC P-256 keys: fast to make.
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/sg_embed_tls_XXXXXX";
    dir_ = new std::string(mkdtemp(tmpl));
    const std::string d = *dir_;
    const std::string ec = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes ";
    std::ofstream(d + "/server.ext") << "subjectAltName=DNS:localhost,IP:127.0.0.1\n";
    std::ofstream(d + "/other.ext") << "subjectAltName=DNS:other.example\n";
    ok_ = RunQuiet("openssl req -x509" + ec + "-keyout " + d + "/ca.key -out " + d +
                   "/ca.pem -days 2 -subj /CN=sg-test-ca") &&
          RunQuiet("openssl req -x509" + ec + "-keyout " + d + "/wrong_ca.key -out " + d +
                   "/wrong_ca.pem -days 2 -subj /CN=sg-wrong-ca") &&
          RunQuiet("openssl req" + ec + "-keyout " + d + "/server.key -out " + d +
                   "/server.csr -subj /CN=localhost") &&
          RunQuiet("openssl x509 -req -in " + d + "/server.csr -CA " + d + "/ca.pem -CAkey " + d +
                   "/ca.key -CAcreateserial -days 2 -extfile " + d + "/server.ext -out " + d +
                   "/server.pem") &&
          RunQuiet("openssl req" + ec + "-keyout " + d + "/other.key -out " + d +
                   "/other.csr -subj /CN=other.example") &&
          RunQuiet("openssl x509 -req -in " + d + "/other.csr -CA " + d + "/ca.pem -CAkey " + d +
                   "/ca.key -CAcreateserial -days 2 -extfile " + d + "/other.ext -out " + d +
                   "/other.pem");
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }
  void SetUp() override { ASSERT_TRUE(ok_) << "openssl CLI could not make test certificates"; }

  static std::string Path(const char* name) { return *dir_ + "/" + name; }

  static StatusOr<std::unique_ptr<OpenAiEmbedder>> Make(const std::string& url,
                                                        const std::string& ca_file) {
    return OpenAiEmbedder::Create({.base_url = url,
                                   .model = "m",
                                   .dimension = kDim,
                                   .api_key = "sk-tls-test-key",
                                   .ca_file = ca_file,
                                   .timeout = 5s,
                                   .max_attempts = 3,
                                   .initial_backoff = 5ms});
  }

  static std::string* dir_;
  static bool ok_;
};

std::string* OpenAiTlsTest::dir_ = nullptr;
bool OpenAiTlsTest::ok_ = false;

TEST_F(OpenAiTlsTest, TrustedCaWorksByAddressAndByName) {
  FakeOpenAiServer fake(
      {.dim = kDim, .cert_file = Path("server.pem"), .key_file = Path("server.key")});
  for (const char* host : {"127.0.0.1", "localhost"}) {
    auto e = Make(fake.base_url(host), Path("ca.pem"));
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    std::vector<float> out;
    const Status s = (*e)->Embed(std::vector<std::string>{"secure", "channel"}, &out);
    ASSERT_TRUE(s.ok()) << host << ": " << s.ToString();
    const std::vector<float> want = FakeOpenAiServer::ExpectedVector("channel", kDim);
    for (size_t k = 0; k < kDim; ++k) EXPECT_NEAR(out[kDim + k], want[k], 1e-5);
  }
  ASSERT_EQ(fake.call_count(), 2u);
  EXPECT_EQ(fake.calls()[0].authorization, "Bearer sk-tls-test-key");
}

TEST_F(OpenAiTlsTest, WrongCaIsRefusedWithoutSendingAnything) {
  FakeOpenAiServer fake(
      {.dim = kDim, .cert_file = Path("server.pem"), .key_file = Path("server.key")});
  auto e = Make(fake.base_url(), Path("wrong_ca.pem"));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  std::vector<float> out;
  const Status s = (*e)->Embed(std::vector<std::string>{"x"}, &out);
  EXPECT_EQ(s.code(), Code::kUnauthenticated) << s.ToString();
  EXPECT_NE(s.message().find("not accepted"), std::string::npos) << s.message();
  EXPECT_EQ(s.ToString().find("sk-tls-test-key"), std::string::npos);
  EXPECT_EQ(fake.call_count(), 0u);
  EXPECT_EQ(fake.connections_accepted(), 1u);  // not retried: a new try cannot change the answer
}

TEST_F(OpenAiTlsTest, SystemTrustStoreDoesNotKnowTheTestCa) {
  FakeOpenAiServer fake(
      {.dim = kDim, .cert_file = Path("server.pem"), .key_file = Path("server.key")});
  auto e = Make(fake.base_url(), "");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  std::vector<float> out;
  EXPECT_EQ((*e)->Embed(std::vector<std::string>{"x"}, &out).code(), Code::kUnauthenticated);
  EXPECT_EQ(fake.call_count(), 0u);
}

TEST_F(OpenAiTlsTest, CertificateForAnotherHostIsRefused) {
  FakeOpenAiServer fake(
      {.dim = kDim, .cert_file = Path("other.pem"), .key_file = Path("other.key")});
  auto e = Make(fake.base_url(), Path("ca.pem"));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  std::vector<float> out;
  const Status s = (*e)->Embed(std::vector<std::string>{"x"}, &out);
  EXPECT_EQ(s.code(), Code::kUnauthenticated) << s.ToString();
  EXPECT_EQ(fake.call_count(), 0u);
}

TEST_F(OpenAiTlsTest, PlainHttpClientCannotTalkToTlsServer) {
  FakeOpenAiServer fake(
      {.dim = kDim, .cert_file = Path("server.pem"), .key_file = Path("server.key")});
  auto e = Make("http://127.0.0.1:" + std::to_string(fake.port()) + "/v1", "");
  ASSERT_TRUE(e.ok());
  std::vector<float> out;
  const Status s = (*e)->Embed(std::vector<std::string>{"x"}, &out);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(fake.call_count(), 0u);
}

TEST_F(OpenAiTlsTest, MissingCaFileIsAConfigurationError) {
  auto e = Make("https://127.0.0.1:1/v1", Path("no_such_ca.pem"));
  EXPECT_EQ(e.status().code(), Code::kInvalidArgument);
  EXPECT_NE(e.status().message().find("no_such_ca.pem"), std::string::npos);
}

}  // namespace
}  // namespace scriptgen::embed
