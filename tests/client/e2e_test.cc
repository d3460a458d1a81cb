// End to end: the real `scriptgen serve` on a free loopback port with a temp data dir, driven by
// the real `scriptgen` client commands as separate processes, exactly as a user would run them.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "client/cli_common.h"
#include "client/http_client.h"

extern char** environ;

namespace scriptgen::client {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

struct Result {
  int exit = -1;
  std::string out;
  std::string err;
};

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const fs::path& p, const std::string& content) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << content;
}

uint16_t FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

// The environment of this process without any SCRIPTGEN_* variable, plus `extra`.
std::vector<std::string> ChildEnv(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::string_view(*e).rfind("SCRIPTGEN_", 0) != 0) env.emplace_back(*e);
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

// Starts SCRIPTGEN_BIN with `args` in `cwd`, stdout/stderr into the given files.
pid_t Spawn(const std::vector<std::string>& args, const std::vector<std::string>& env,
            const fs::path& cwd, const fs::path& out, const fs::path& err) {
  std::vector<std::string> argv_s = {SCRIPTGEN_BIN};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_s = env;
  std::vector<char*> envp;
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    if (chdir(cwd.c_str()) != 0) _exit(126);
    const int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(o, STDOUT_FILENO);
    dup2(e, STDERR_FILENO);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  return pid;
}

// Waits up to `timeout` for `pid`; SIGKILLs it after that. Exit status, or -signal.
int Wait(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(10ms);
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

std::ostream& operator<<(std::ostream& os, const Result& r) {
  return os << "exit " << r.exit << "\n--- stdout\n" << r.out << "--- stderr\n" << r.err;
}

class ClientE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/sg-client-e2e-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    fs::create_directories(root_ / "cwd");
    token_ = "e2e-" + std::to_string(getpid()) + "-0123456789abcdef";
    for (int attempt = 0; attempt < 3 && server_ == 0; ++attempt) {
      port_ = FreePort();
      const pid_t pid = Spawn({"serve", "--listen", "127.0.0.1:" + std::to_string(port_),
                               "--data-dir", (root_ / "data").string(), "--workers", "2",
                               // so that a document holding a key fails in its job (bad_input)
                               "--secret-policy", "refuse"},
                              ChildEnv({"SCRIPTGEN_ADMIN_TOKEN=" + token_}), root_,
                              root_ / "server.out", root_ / "server.err");
      HttpClient probe(*ParseServerUrl(Url()), {.io_timeout = 2s});
      const auto deadline = std::chrono::steady_clock::now() + 30s;
      while (std::chrono::steady_clock::now() < deadline) {
        // Until our server logs "serving" (it has bound the port), a /readyz answer may come from
        // another test's server that took the same "free" port.
        if (ReadFile(root_ / "server.err").find("\"msg\":\"serving\"") == std::string::npos) {
          if (waitpid(pid, nullptr, WNOHANG) == pid) break;  // died (port taken?): try again
          std::this_thread::sleep_for(50ms);
          continue;
        }
        StatusOr<HttpResponse> r = probe.Send("GET", "/readyz", {});
        if (r.ok() && r->status == 200) {
          server_ = pid;
          break;
        }
        if (waitpid(pid, nullptr, WNOHANG) == pid) break;  // died (port taken?): try again
        std::this_thread::sleep_for(50ms);
      }
      if (server_ == 0) {
        kill(pid, SIGKILL);
        Wait(pid, 5s);
      }
    }
    ASSERT_NE(server_, 0) << ReadFile(root_ / "server.err");
  }

  static void TearDownTestSuite() {
    if (server_ != 0) {
      kill(server_, SIGTERM);
      Wait(server_, 20s);
      server_ = 0;
    }
    fs::remove_all(root_);
  }

  void SetUp() override { ASSERT_NE(server_, 0); }

  static std::string Url() { return "http://127.0.0.1:" + std::to_string(port_); }

  // Runs a client command against the test server with the right token, unless `env` is given.
  static Result Cli(const std::vector<std::string>& args,
                    std::optional<std::vector<std::string>> env = std::nullopt,
                    const fs::path& cwd = root_ / "cwd") {
    static int n = 0;
    const fs::path out = root_ / ("cli" + std::to_string(++n) + ".out");
    const fs::path err = root_ / ("cli" + std::to_string(n) + ".err");
    const std::vector<std::string> e =
        env ? *env
            : std::vector<std::string>{"SCRIPTGEN_SERVER=" + Url(), "SCRIPTGEN_TOKEN=" + token_};
    Result r;
    r.exit = Wait(Spawn(args, ChildEnv(e), cwd, out, err), 120s);
    r.out = ReadFile(out);
    r.err = ReadFile(err);
    EXPECT_EQ(r.out.find(token_), std::string::npos) << "the token was printed";
    EXPECT_EQ(r.err.find(token_), std::string::npos) << "the token was printed";
    return r;
  }

  static boost::json::value Json(const Result& r) {
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(r.out, ec);
    EXPECT_FALSE(ec) << r;
    return v;
  }

  static inline fs::path root_;
  static inline std::string token_;
  static inline uint16_t port_ = 0;
  static inline pid_t server_ = 0;
};

TEST_F(ClientE2E, IngestWaitThenSearchAndListJobs) {
  const fs::path docs = root_ / "docs";
  WriteFile(docs / "lighthouse.txt",
            "The zorblaxian lighthouse keeper counts the waves every night.\n\nHe never sleeps.");
  WriteFile(docs / "notes.md", "# Planning\n\nQuarterly planning notes about budgets and hiring.");
  WriteFile(docs / "sub" / "pasta.txt", "Boil the water, salt it, and cook the pasta al dente.");
  WriteFile(docs / ".hidden.txt", "should never be uploaded");
  WriteFile(docs / ".git" / "HEAD", "ref: refs/heads/main");

  const Result ingest = Cli({"ingest", docs.string(), "--wait"});
  ASSERT_EQ(ingest.exit, 0) << ingest;
  EXPECT_NE(ingest.out.find("uploaded   3 of 3 files"), std::string::npos) << ingest;
  EXPECT_NE(ingest.out.find("succeeded  3"), std::string::npos) << ingest;
  EXPECT_NE(ingest.out.find("failed     0"), std::string::npos) << ingest;
  EXPECT_NE(ingest.out.find("lighthouse.txt  uploading"), std::string::npos) << ingest;
  EXPECT_NE(ingest.out.find("lighthouse.txt  succeeded"), std::string::npos) << ingest;
  EXPECT_NE(ingest.out.find("MB/s"), std::string::npos) << ingest;
  EXPECT_EQ(ingest.out.find("hidden"), std::string::npos) << ingest;
  EXPECT_EQ(ingest.out.find("HEAD"), std::string::npos) << ingest;

  const Result search_json = Cli({"search", "zorblaxian", "-k", "3", "--json"});
  ASSERT_EQ(search_json.exit, 0) << search_json;
  const boost::json::value search_body = Json(search_json);
  const boost::json::value* results = Field(search_body, "results");
  ASSERT_TRUE(results != nullptr && results->is_array() && !results->as_array().empty())
      << search_json;
  EXPECT_EQ(StringField(results->as_array()[0], "filename"), "lighthouse.txt");
  const std::string doc = StringField(results->as_array()[0], "document_id");

  const Result search = Cli({"search", "zorblaxian"});
  ASSERT_EQ(search.exit, 0) << search;
  const std::string first_row = search.out.substr(search.out.find('\n') + 1);
  EXPECT_EQ(search.out.rfind("#  SCORE", 0), 0u) << search;
  EXPECT_NE(first_row.find("lighthouse.txt"), std::string::npos) << search;
  EXPECT_NE(first_row.find(doc), std::string::npos) << search;
  EXPECT_NE(first_row.find("zorblaxian lighthouse keeper"), std::string::npos) << search;

  const Result jobs_json = Cli({"jobs", "ls", "--state", "succeeded", "--json"});
  ASSERT_EQ(jobs_json.exit, 0) << jobs_json;
  const boost::json::value jobs_body = Json(jobs_json);
  const boost::json::value* jobs = Field(jobs_body, "jobs");
  ASSERT_TRUE(jobs != nullptr && jobs->is_array());
  EXPECT_GE(jobs->as_array().size(), 3u) << jobs_json;

  const Result jobs_table = Cli({"jobs", "ls"});
  ASSERT_EQ(jobs_table.exit, 0) << jobs_table;
  EXPECT_EQ(jobs_table.out.rfind("ID", 0), 0u) << jobs_table;
  EXPECT_NE(jobs_table.out.find("succeeded"), std::string::npos) << jobs_table;

  const std::string job_id = StringField(jobs->as_array()[0], "id");
  const Result show = Cli({"jobs", "show", job_id});
  ASSERT_EQ(show.exit, 0) << show;
  EXPECT_NE(show.out.find("state             succeeded"), std::string::npos) << show;
}

TEST_F(ClientE2E, ReRunningIngestDoesNotDuplicate) {
  const fs::path dir = root_ / "again";
  WriteFile(dir / "once.txt", "A file that must become exactly one document.");
  const Result first = Cli({"ingest", dir.string(), "--json"});
  ASSERT_EQ(first.exit, 0) << first;
  const Result second = Cli({"ingest", dir.string(), "--json"});
  ASSERT_EQ(second.exit, 0) << second;
  const boost::json::value a = Field(Json(first), "files")->as_array().at(0);
  const boost::json::value b = Field(Json(second), "files")->as_array().at(0);
  EXPECT_EQ(StringField(a, "document_id"), StringField(b, "document_id"));
  EXPECT_EQ(StringField(a, "job_id"), StringField(b, "job_id"));
  EXPECT_TRUE(Field(a, "created")->as_bool());
  EXPECT_FALSE(Field(b, "created")->as_bool());
}

TEST_F(ClientE2E, FailedUploadsAndJobsAreReportedAndReachTheDlq) {
  const fs::path dir = root_ / "mixed";
  WriteFile(dir / "good.txt", "Perfectly fine text.");
  // Passes the upload checks, then the extract step refuses its cloud key: a dead job.
  WriteFile(dir / "broken.txt", "Deploy with AKIAQ2WERTY7UIOPASDF please.");
  // A PNG signature and header chunk: refused at upload, whatever the name says.
  WriteFile(dir / "image.bin",
            std::string("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0", 29));
  const Result r = Cli({"ingest", dir.string(), "--wait"});
  EXPECT_EQ(r.exit, 1) << r;
  EXPECT_NE(r.out.find("succeeded  1"), std::string::npos) << r;
  EXPECT_NE(r.out.find("failed     2"), std::string::npos) << r;
  EXPECT_NE(r.out.find("image.bin: upload: "), std::string::npos) << r;
  EXPECT_NE(r.out.find("(HTTP 415)"), std::string::npos) << r;
  EXPECT_NE(r.out.find("broken.txt: job job_"), std::string::npos) << r;
  EXPECT_NE(r.out.find(" dead: bad_input: "), std::string::npos) << r;

  const Result ls = Cli({"dlq", "ls", "--error-class", "bad_input", "--json"});
  ASSERT_EQ(ls.exit, 0) << ls;
  const boost::json::value ls_body = Json(ls);
  const boost::json::value* dead = Field(ls_body, "jobs");
  ASSERT_TRUE(dead != nullptr && dead->is_array() && !dead->as_array().empty()) << ls;
  const std::string job = StringField(dead->as_array().back(), "id");
  const Result table = Cli({"dlq", "ls"});
  ASSERT_EQ(table.exit, 0) << table;
  EXPECT_NE(table.out.find(job), std::string::npos) << table;
  EXPECT_NE(table.out.find("bad_input ("), std::string::npos) << table;

  const Result retry = Cli({"dlq", "retry", job});
  ASSERT_EQ(retry.exit, 0) << retry;
  EXPECT_EQ(retry.out, job + ": requeued\n");
  // Bad input stays bad: the job dies again.
  std::string state;
  for (int i = 0; i < 300 && state != "dead"; ++i) {
    state = StringField(Json(Cli({"jobs", "show", job, "--json"})), "state");
    if (state != "dead") std::this_thread::sleep_for(100ms);
  }
  ASSERT_EQ(state, "dead");

  const Result purge = Cli({"dlq", "purge", job});
  ASSERT_EQ(purge.exit, 0) << purge;
  EXPECT_EQ(purge.out, job + ": purged\n");
  const Result after = Cli({"dlq", "ls", "--json"});
  ASSERT_EQ(after.exit, 0) << after;
  EXPECT_EQ(after.out.find("\"" + job + "\""), std::string::npos) << after;
  const Result all = Cli({"dlq", "purge", "--all", "--error-class", "bad_input"});
  ASSERT_EQ(all.exit, 0) << all;
  EXPECT_EQ(all.out.rfind("purged ", 0), 0u) << all;
}

TEST_F(ClientE2E, BadOrMissingTokenFailsClearly) {
  const std::string wrong = "wrong-token-0123456789";
  const Result bad = Cli({"jobs", "ls"}, std::vector<std::string>{"SCRIPTGEN_SERVER=" + Url(),
                                                                  "SCRIPTGEN_TOKEN=" + wrong});
  EXPECT_EQ(bad.exit, 1) << bad;
  EXPECT_EQ(bad.err, "scriptgen: unauthenticated: invalid bearer token (HTTP 401)\n") << bad;
  EXPECT_EQ(bad.out, "");

  const Result missing = Cli({"search", "anything", "--server", Url()}, std::vector<std::string>{});
  EXPECT_EQ(missing.exit, 1) << missing;
  EXPECT_NE(missing.err.find("unauthenticated"), std::string::npos) << missing;
  EXPECT_NE(missing.err.find("SCRIPTGEN_TOKEN"), std::string::npos) << missing;

  const fs::path cwd = root_ / "with-token-file";
  WriteFile(cwd / "var" / "admin.token", token_ + "\n");
  const Result from_file = Cli({"jobs", "ls", "--server", Url()}, std::vector<std::string>{}, cwd);
  EXPECT_EQ(from_file.exit, 0) << from_file;

  const fs::path dir = root_ / "unauth";
  WriteFile(dir / "x.txt", "text");
  const Result ingest = Cli({"ingest", dir.string(), "--token", wrong},
                            std::vector<std::string>{"SCRIPTGEN_SERVER=" + Url()});
  EXPECT_EQ(ingest.exit, 1) << ingest;
  EXPECT_NE(ingest.out.find("invalid bearer token (HTTP 401)"), std::string::npos) << ingest;
}

TEST_F(ClientE2E, UnreachableServerGivesConnectionErrorExitTwo) {
  const std::string nowhere = "http://127.0.0.1:" + std::to_string(FreePort());
  const Result ls = Cli({"jobs", "ls"}, std::vector<std::string>{"SCRIPTGEN_SERVER=" + nowhere,
                                                                 "SCRIPTGEN_TOKEN=" + token_});
  EXPECT_EQ(ls.exit, 2) << ls;
  EXPECT_EQ(ls.err, "scriptgen: cannot connect to " + nowhere + ": connection refused\n") << ls;

  const fs::path dir = root_ / "unreachable";
  for (int i = 0; i < 5; ++i) WriteFile(dir / ("f" + std::to_string(i) + ".txt"), "text");
  const Result ingest = Cli({"ingest", dir.string(), "--wait", "--server", nowhere});
  EXPECT_EQ(ingest.exit, 2) << ingest;
  EXPECT_EQ(ingest.err, "scriptgen: cannot connect to " + nowhere + ": connection refused\n")
      << ingest;
}

TEST_F(ClientE2E, UsageAndServerErrors) {
  const Result unknown = Cli({"jobs", "show", "job_999999"});
  EXPECT_EQ(unknown.exit, 1) << unknown;
  EXPECT_EQ(unknown.err.rfind("scriptgen: not_found: ", 0), 0u) << unknown;

  const Result bad_state = Cli({"jobs", "ls", "--state", "sleeping"});
  EXPECT_EQ(bad_state.exit, 1) << bad_state;
  EXPECT_NE(bad_state.err.find("(HTTP 400)"), std::string::npos) << bad_state;

  EXPECT_EQ(Cli({"dlq", "retry"}).exit, 1);
  EXPECT_EQ(Cli({"dlq", "purge"}).exit, 1);
  EXPECT_EQ(Cli({"dlq", "purge", "job_1", "--error-class", "bad_input"}).exit, 1);
  EXPECT_NE(Cli({"search", "x", "-k", "0"}).exit, 0);
  EXPECT_NE(Cli({"jobs"}).exit, 0);

  const Result bad_url = Cli({"jobs", "ls", "--server", "https://127.0.0.1:1"});
  EXPECT_EQ(bad_url.exit, 1) << bad_url;
  EXPECT_NE(bad_url.err.find("https is not supported"), std::string::npos) << bad_url;

  const Result missing = Cli({"ingest", (root_ / "does-not-exist").string()});
  EXPECT_EQ(missing.exit, 1) << missing;
  EXPECT_NE(missing.err.find("does-not-exist"), std::string::npos) << missing;
}

}  // namespace
}  // namespace scriptgen::client
