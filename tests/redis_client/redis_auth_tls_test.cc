// AUTH (password, ACL user, from the environment and from a file) and TLS (CA verification, host
// name/IP checks, client certificates) against real redis-server processes. Certificates are
// generated per test run with the openssl CLI into a temporary directory.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "backends/redis/redis_client.h"
#include "redis_support/redis_server_process.h"

namespace scriptgen::redis {
namespace {

using scriptgen::testing::RedisServerProcess;

void ClearRedisEnv() {
  for (const char* v :
       {"SCRIPTGEN_REDIS_PASSWORD", "SCRIPTGEN_REDIS_PASSWORD_FILE", "SCRIPTGEN_REDIS_CA_FILE",
        "SCRIPTGEN_REDIS_CERT_FILE", "SCRIPTGEN_REDIS_KEY_FILE"}) {
    unsetenv(v);
  }
}

// ---------------------------------------------------------------------------------------------
// AUTH

constexpr char kPassword[] = "correct horse:battery@staple";

class RedisAuthTest : public ::testing::Test {
 protected:
  RedisAuthTest() : server_({.extra_args = {"--requirepass", kPassword}}) {}
  void SetUp() override {
    ClearRedisEnv();
    ASSERT_TRUE(server_.Start());
  }
  void TearDown() override { ClearRedisEnv(); }

  std::string Url(const std::string& userinfo, int db = 0) const {
    return "redis://" + userinfo + "127.0.0.1:" + std::to_string(server_.port()) + "/" +
           std::to_string(db);
  }

  RedisServerProcess server_;
};

TEST_F(RedisAuthTest, RightPasswordInUrlIsPercentDecoded) {
  auto ep = ParseRedisUrl(Url(":correct%20horse%3Abattery%40staple@", 2));
  ASSERT_TRUE(ep.ok()) << ep.status().ToString();
  auto c = RedisConnection::Connect(*ep);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  auto r = (*c)->Command({"SET", "k", "v"});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->is_error()) << r->str;
}

TEST_F(RedisAuthTest, WrongPasswordIsUnauthenticatedAndNotEchoed) {
  auto ep = ParseRedisUrl(Url(":wrong-pass-xyzzy@"));
  ASSERT_TRUE(ep.ok());
  auto c = RedisConnection::Connect(*ep);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kUnauthenticated) << c.status().ToString();
  EXPECT_EQ(c.status().ToString().find("xyzzy"), std::string::npos) << c.status().ToString();
  EXPECT_EQ(c.status().ToString().find("horse"), std::string::npos);

  // Through a pool: the same code reaches the caller.
  RedisPool pool(*ep, {.size = 1});
  Status s = pool.Run([](RedisConnection&) { return Status::Ok(); });
  EXPECT_EQ(s.code(), Code::kUnauthenticated) << s.ToString();
  EXPECT_EQ(s.ToString().find("xyzzy"), std::string::npos);
}

TEST_F(RedisAuthTest, MissingPasswordGivesNoauthErrorsOrUnauthenticatedOnSelect) {
  auto ep = ParseRedisUrl(Url(""));
  ASSERT_TRUE(ep.ok());
  auto c = RedisConnection::Connect(*ep);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  auto r = (*c)->Command({"GET", "k"});
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->is_error());
  EXPECT_EQ(r->str.rfind("NOAUTH", 0), 0u) << r->str;

  auto ep1 = ParseRedisUrl(Url("", 1));
  ASSERT_TRUE(ep1.ok());
  auto c1 = RedisConnection::Connect(*ep1);
  ASSERT_FALSE(c1.ok());
  EXPECT_EQ(c1.status().code(), Code::kUnauthenticated);
}

TEST_F(RedisAuthTest, PasswordFromEnvironmentVariable) {
  setenv("SCRIPTGEN_REDIS_PASSWORD", kPassword, 1);
  auto ep = ParseRedisUrl(Url("", 1));
  ASSERT_TRUE(ep.ok());
  auto c = RedisConnection::Connect(*ep);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  auto r = (*c)->Command({"PING"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->str, "PONG");
}

TEST_F(RedisAuthTest, PasswordFromFile) {
  std::string path = server_.dir() + "/password";
  {
    std::ofstream out(path);
    out << kPassword << "\n";
  }
  setenv("SCRIPTGEN_REDIS_PASSWORD_FILE", path.c_str(), 1);
  auto ep = ParseRedisUrl(Url("", 1));
  ASSERT_TRUE(ep.ok()) << ep.status().ToString();
  auto c = RedisConnection::Connect(*ep);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  auto r = (*c)->Command({"PING"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->str, "PONG");
}

TEST_F(RedisAuthTest, AclUser) {
  auto admin_ep = ParseRedisUrl(Url(":correct%20horse%3Abattery%40staple@"));
  ASSERT_TRUE(admin_ep.ok());
  auto admin = RedisConnection::Connect(*admin_ep);
  ASSERT_TRUE(admin.ok());
  auto created =
      (*admin)->Command({"ACL", "SETUSER", "alice", "on", ">alice-pw", "~app:*", "+@all"});
  ASSERT_TRUE(created.ok());
  ASSERT_FALSE(created->is_error()) << created->str;

  auto ep = ParseRedisUrl(Url("alice:alice-pw@"));
  ASSERT_TRUE(ep.ok());
  auto c = RedisConnection::Connect(*ep);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  auto who = (*c)->Command({"ACL", "WHOAMI"});
  ASSERT_TRUE(who.ok());
  EXPECT_EQ(who->str, "alice");
  auto denied = (*c)->Command({"SET", "other:k", "v"});  // outside ~app:*
  ASSERT_TRUE(denied.ok());
  EXPECT_TRUE(denied->is_error());

  auto wrong = ParseRedisUrl(Url("alice:not-alice-pw@"));
  ASSERT_TRUE(wrong.ok());
  auto cw = RedisConnection::Connect(*wrong);
  ASSERT_FALSE(cw.ok());
  EXPECT_EQ(cw.status().code(), Code::kUnauthenticated);
  EXPECT_NE(cw.status().message().find("alice"), std::string::npos);
  EXPECT_EQ(cw.status().message().find("not-alice-pw"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// TLS

// A CA, a server certificate for 127.0.0.1/localhost, a client certificate, a second unrelated
// CA, and a server certificate that names another host. Generated once for the suite.
class TlsFiles {
 public:
  TlsFiles() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "sg-redis-tls-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) return;
    dir_ = tmpl;
    ok_ = MakeCa("ca") && MakeCa("other-ca") &&
          MakeLeaf("server", "ca", "subjectAltName=IP:127.0.0.1,DNS:localhost") &&
          MakeLeaf("client", "ca", "subjectAltName=DNS:sg-test-client") &&
          MakeLeaf("wrong-host", "ca", "subjectAltName=DNS:elsewhere.example");
  }
  ~TlsFiles() {
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  bool ok() const { return ok_; }
  const std::string& log() const { return log_; }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

 private:
  bool Run(const std::string& cmd) {
    std::string full = "cd '" + dir_ + "' && " + cmd + " >>openssl.log 2>&1";
    if (std::system(full.c_str()) == 0) return true;
    std::ifstream in(dir_ + "/openssl.log");
    log_ = "command failed: " + cmd + "\n" +
           std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return false;
  }
  bool MakeCa(const std::string& name) {
    return Run(
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
        "-keyout " +
        name + ".key -out " + name + ".crt -days 2 -subj /CN=sg-test-" + name +
        " -addext basicConstraints=critical,CA:TRUE"
        " -addext keyUsage=critical,keyCertSign,cRLSign");
  }
  bool MakeLeaf(const std::string& name, const std::string& ca, const std::string& san) {
    {
      std::ofstream ext(Path(name + ".ext"));
      ext << san << "\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n"
          << "extendedKeyUsage=serverAuth,clientAuth\n";
    }
    return Run("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout " +
               name + ".key -out " + name + ".csr -subj /CN=sg-test-" + name) &&
           Run("openssl x509 -req -in " + name + ".csr -CA " + ca + ".crt -CAkey " + ca +
               ".key -CAcreateserial -days 2 -out " + name + ".crt -extfile " + name + ".ext");
  }

  std::string dir_;
  std::string log_;
  bool ok_ = false;
};

class RedisTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { files_ = new TlsFiles; }
  static void TearDownTestSuite() {
    delete files_;
    files_ = nullptr;
  }
  void SetUp() override {
    ClearRedisEnv();
    ASSERT_TRUE(files_->ok()) << files_->log();
  }
  void TearDown() override { ClearRedisEnv(); }

  // A TLS-only redis-server presenting `cert`.
  static RedisServerProcess::Options ServerOptions(const std::string& cert, bool auth_clients) {
    return {
        .extra_args = {"--tls-cert-file", files_->Path(cert + ".crt"), "--tls-key-file",
                       files_->Path(cert + ".key"), "--tls-ca-cert-file", files_->Path("ca.crt"),
                       "--tls-auth-clients", auth_clients ? "yes" : "no"},
        .tls = true};
  }

  static RedisEndpoint Endpoint(const RedisServerProcess& server, const std::string& host,
                                const std::string& ca) {
    RedisEndpoint ep;
    ep.host = host;
    ep.port = server.port();
    ep.tls = true;
    ep.ca_file = files_->Path(ca + ".crt");
    return ep;
  }

  static TlsFiles* files_;
};

TlsFiles* RedisTlsTest::files_ = nullptr;

TEST_F(RedisTlsTest, VerifiedConnectionByIpAndByName) {
  RedisServerProcess server(ServerOptions("server", false));
  ASSERT_TRUE(server.Start());

  setenv("SCRIPTGEN_REDIS_CA_FILE", files_->Path("ca.crt").c_str(), 1);
  auto ep = ParseRedisUrl(server.url() + "/4");
  ASSERT_TRUE(ep.ok()) << ep.status().ToString();
  ASSERT_TRUE(ep->tls);
  auto c = RedisConnection::Connect(*ep);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  std::string big(300 * 1024, 'x');
  big[1234] = '\0';
  auto r = (*c)->Pipeline({{"SET", "k", big}, {"GET", "k"}, {"CLIENT", "INFO"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE((*r)[1].str == big);
  EXPECT_NE((*r)[2].str.find("db=4"), std::string::npos) << (*r)[2].str;

  auto by_name = RedisConnection::Connect(Endpoint(server, "localhost", "ca"));
  ASSERT_TRUE(by_name.ok()) << by_name.status().ToString();
  auto ping = (*by_name)->Command({"PING"});
  ASSERT_TRUE(ping.ok());
  EXPECT_EQ(ping->str, "PONG");

  // A plain-text client against the TLS port gets no usable answer.
  RedisEndpoint plain = Endpoint(server, "127.0.0.1", "ca");
  plain.tls = false;
  auto pc = RedisConnection::Connect(plain, {.io_timeout = std::chrono::milliseconds(500)});
  if (pc.ok()) {
    EXPECT_FALSE((*pc)->Command({"PING"}).ok());
  }
}

TEST_F(RedisTlsTest, UntrustedCaIsRefusedWithAClearError) {
  RedisServerProcess server(ServerOptions("server", false));
  ASSERT_TRUE(server.Start());
  auto c = RedisConnection::Connect(Endpoint(server, "127.0.0.1", "other-ca"));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kUnavailable);
  EXPECT_NE(c.status().message().find("certificate verify failed"), std::string::npos)
      << c.status().ToString();
  // Redis sends its CA along with the leaf, so OpenSSL reports the untrusted root as such.
  EXPECT_TRUE(c.status().message().find("self-signed certificate in certificate chain") !=
                  std::string::npos ||
              c.status().message().find("unable to get local issuer") != std::string::npos)
      << c.status().ToString();

  // Without a CA file the system store is used, which does not know our test CA either.
  RedisEndpoint system = Endpoint(server, "127.0.0.1", "ca");
  system.ca_file.clear();
  auto cs = RedisConnection::Connect(system);
  ASSERT_FALSE(cs.ok());
  EXPECT_NE(cs.status().message().find("certificate verify failed"), std::string::npos)
      << cs.status().ToString();
}

TEST_F(RedisTlsTest, CertificateForAnotherHostIsRefused) {
  RedisServerProcess server(ServerOptions("wrong-host", false));
  ASSERT_TRUE(server.Start());
  auto c = RedisConnection::Connect(Endpoint(server, "127.0.0.1", "ca"));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("mismatch"), std::string::npos) << c.status().ToString();
  auto by_name = RedisConnection::Connect(Endpoint(server, "localhost", "ca"));
  ASSERT_FALSE(by_name.ok());
  EXPECT_NE(by_name.status().message().find("mismatch"), std::string::npos)
      << by_name.status().ToString();
}

TEST_F(RedisTlsTest, ClientCertificateWhenTheServerRequiresOne) {
  RedisServerProcess server(ServerOptions("server", true));
  ASSERT_TRUE(server.Start());
  RedisEndpoint without = Endpoint(server, "127.0.0.1", "ca");
  auto refused = RedisConnection::Connect(without, {.io_timeout = std::chrono::milliseconds(1000)});
  bool failed = !refused.ok();
  if (!failed) {
    // TLS 1.3: the server checks the client certificate after the client's handshake finished, so
    // the refusal shows up on the first exchange.
    failed = !(*refused)->Command({"PING"}).ok();
  }
  EXPECT_TRUE(failed);

  setenv("SCRIPTGEN_REDIS_CA_FILE", files_->Path("ca.crt").c_str(), 1);
  setenv("SCRIPTGEN_REDIS_CERT_FILE", files_->Path("client.crt").c_str(), 1);
  setenv("SCRIPTGEN_REDIS_KEY_FILE", files_->Path("client.key").c_str(), 1);
  auto ep = ParseRedisUrl(server.url());
  ASSERT_TRUE(ep.ok()) << ep.status().ToString();
  auto c = RedisConnection::Connect(*ep);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  auto ping = (*c)->Command({"PING"});
  ASSERT_TRUE(ping.ok()) << ping.status().ToString();
  EXPECT_EQ(ping->str, "PONG");
}

// total_connections_received from INFO stats, or -1.
long ConnectionsReceived(const std::string& info) {
  const std::string field = "total_connections_received:";
  size_t at = info.find(field);
  return at == std::string::npos ? -1 : std::stol(info.substr(at + field.size()));
}

TEST_F(RedisTlsTest, PoolKeepsAnIdleTlsConnectionThatReceivedOnlySessionTickets) {
  RedisServerProcess server(ServerOptions("server", false));
  ASSERT_TRUE(server.Start());
  RedisPool pool(Endpoint(server, "127.0.0.1", "ca"), {.size = 2});
  // A fresh connection that never read anything: the server's post-handshake TLS 1.3 session
  // tickets are still unread in the socket when it goes back to the pool.
  ASSERT_TRUE(pool.Run([](RedisConnection&) { return Status::Ok(); }).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  // Connections accepted so far, counted from a separate connection...
  auto direct = RedisConnection::Connect(Endpoint(server, "127.0.0.1", "ca"));
  ASSERT_TRUE(direct.ok()) << direct.status().ToString();
  auto before = (*direct)->Command({"INFO", "stats"});
  ASSERT_TRUE(before.ok());
  // ...and from the pool: equal when the pool reused its idle connection instead of a new one.
  StatusOr<RedisReply> after = Status(Code::kInternal, "not run");
  ASSERT_TRUE(pool.Run([&](RedisConnection& c) -> Status {
                    after = c.Command({"INFO", "stats"});
                    return after.ok() ? Status::Ok() : after.status();
                  })
                  .ok());
  EXPECT_EQ(ConnectionsReceived(before->str), ConnectionsReceived(after->str));
  EXPECT_GT(ConnectionsReceived(after->str), 0);
  EXPECT_EQ(pool.open_connections(), 1);
}

TEST_F(RedisTlsTest, PoolOverTlsSurvivesARestart) {
  RedisServerProcess server(ServerOptions("server", false));
  ASSERT_TRUE(server.Start());
  RedisPool pool(Endpoint(server, "127.0.0.1", "ca"), {.size = 2});
  auto ping = [&] {
    StatusOr<RedisReply> out = Status(Code::kInternal, "not run");
    Status s = pool.Run([&](RedisConnection& c) -> Status {
      out = c.Command({"PING"});
      return out.ok() ? Status::Ok() : out.status();
    });
    return s.ok() ? out : StatusOr<RedisReply>(s);
  };
  ASSERT_TRUE(ping().ok());
  server.Kill9();
  ASSERT_TRUE(server.Restart());
  auto r = ping();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->str, "PONG");
}

}  // namespace
}  // namespace scriptgen::redis
