// RedisServerProcess: a real `redis-server` child process on a free loopback port, for tests.
//
//   scriptgen::testing::RedisServerProcess server;           // or ({.extra_args = {...}})
//   ASSERT_TRUE(server.Start());                             // message says why it failed
//   auto ep = scriptgen::redis::ParseRedisUrl(server.url()); // "redis://127.0.0.1:<port>"
//   server.Kill9();  ASSERT_TRUE(server.Restart());          // crash and come back, same port/dir
//   server.Pause();  ...  server.Resume();                   // SIGSTOP / SIGCONT (timeouts)
//
// The server runs with `--port P --bind 127.0.0.1 --save '' --appendonly no --dir <tmpdir>
// --logfile <tmpdir>/redis.log` followed by `extra_args` (later arguments win, so extra_args can
// turn AOF on: {"--appendonly", "yes", "--appendfsync", "always"}). With `tls = true` the server
// listens with `--port 0 --tls-port P` instead; pass the certificate options in extra_args.
// Start() waits until OUR server has logged "Ready to accept connections" (its log lines start with
// its pid: another test's server that happens to hold the same port must not be mistaken for it;
// ours then fails to bind, exits, and Start() retries on a new port) and, for plain TCP, answers
// PING (any reply other than -LOADING counts, so a --requirepass server is ready when it answers
// -NOAUTH).
//
// Start() and Restart() return an AssertionResult: ASSERT_TRUE(server.Start()) fails the test
// with the reason (redis-server missing from PATH, exited early with the tail of its log, not
// ready in time). A missing redis-server is a failure, not a skip: scripts/setup installs it.
// The destructor kills the server and removes the directory. The child gets PR_SET_PDEATHSIG so a
// crashed test does not leak servers. Not thread-safe: drive it from the test's main thread.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace scriptgen::testing {

class RedisServerProcess {
 public:
  struct Options {
    std::vector<std::string> extra_args;  // appended after the defaults
    bool tls = false;                     // serve TLS only on port() (the caller adds tls-* args)
    int port = 0;                         // 0: a free one, picked anew on each attempt
  };

  RedisServerProcess() : RedisServerProcess(Options{}) {}
  explicit RedisServerProcess(Options options) : options_(std::move(options)) {}
  RedisServerProcess(const RedisServerProcess&) = delete;
  RedisServerProcess& operator=(const RedisServerProcess&) = delete;

  ~RedisServerProcess() {
    Kill9();
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }

  // Picks a free port and a fresh directory, starts the server and waits until it is ready.
  ::testing::AssertionResult Start() {
    if (pid_ > 0) return ::testing::AssertionFailure() << "redis-server already running";
    if (!OnPath("redis-server")) {
      return ::testing::AssertionFailure()
             << "redis-server not found on PATH: install the redis-server package "
                "(scripts/setup does)";
    }
    if (dir_.empty()) {
      std::string tmpl = (std::filesystem::temp_directory_path() / "sg-redis-XXXXXX").string();
      if (mkdtemp(tmpl.data()) == nullptr) {
        return ::testing::AssertionFailure() << "mkdtemp: " << std::strerror(errno);
      }
      dir_ = tmpl;
    }
    // The free port is only free until someone else takes it: retry with a new one.
    ::testing::AssertionResult last = ::testing::AssertionFailure();
    for (int attempt = 0; attempt < 3; ++attempt) {
      port_ = options_.port > 0 ? options_.port : FreeLoopbackPort();
      if (port_ <= 0) return ::testing::AssertionFailure() << "no free loopback port";
      last = Launch();
      if (last) return last;
    }
    return last;
  }

  // Starts again on the same port, with the same directory and arguments (a running server is
  // stopped first with SIGTERM).
  ::testing::AssertionResult Restart() {
    if (pid_ > 0) Stop();
    if (port_ <= 0) return Start();
    return Launch();
  }

  // SIGKILL and reap: a crash, no shutdown save.
  void Kill9() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    Reap(std::chrono::seconds(10));
  }

  // SIGTERM (clean shutdown), SIGKILL after 10 s.
  void Stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGCONT);
    ::kill(pid_, SIGTERM);
    if (!Reap(std::chrono::seconds(10))) Kill9();
  }

  // SIGSTOP / SIGCONT: the server keeps its sockets but stops answering.
  void Pause() {
    if (pid_ > 0) ::kill(pid_, SIGSTOP);
  }
  void Resume() {
    if (pid_ > 0) ::kill(pid_, SIGCONT);
  }

  bool running() const { return pid_ > 0; }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& dir() const { return dir_; }
  std::string url() const {
    return std::string(options_.tls ? "rediss" : "redis") + "://127.0.0.1:" + std::to_string(port_);
  }
  // The last lines of the server log, for failure messages.
  std::string LogTail(size_t max_bytes = 2000) const {
    std::ifstream in(dir_ + "/redis.log");
    std::stringstream ss;
    ss << in.rdbuf();
    std::string s = ss.str();
    return s.size() > max_bytes ? s.substr(s.size() - max_bytes) : s;
  }

 private:
  static bool OnPath(const std::string& name) {
    const char* path = std::getenv("PATH");
    if (path == nullptr) return false;
    std::stringstream ss(path);
    std::string d;
    while (std::getline(ss, d, ':')) {
      if (!d.empty() && ::access((d + "/" + name).c_str(), X_OK) == 0) return true;
    }
    return false;
  }

  static int FreeLoopbackPort() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof(addr);
    int port = -1;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port = ntohs(addr.sin_port);
    }
    ::close(fd);
    return port;
  }

  // Waits up to `limit` for the child to exit; true when reaped.
  bool Reap(std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (true) {
      int status = 0;
      pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_ || (r < 0 && errno == ECHILD)) {
        pid_ = -1;
        return true;
      }
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  std::vector<std::string> Args() const {
    std::vector<std::string> args = {"redis-server"};
    if (options_.tls) {
      args.insert(args.end(), {"--port", "0", "--tls-port", std::to_string(port_)});
    } else {
      args.insert(args.end(), {"--port", std::to_string(port_)});
    }
    args.insert(args.end(), {"--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir",
                             dir_, "--logfile", dir_ + "/redis.log", "--daemonize", "no"});
    args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
    return args;
  }

  ::testing::AssertionResult Launch() {
    std::vector<std::string> args = Args();
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid < 0) return ::testing::AssertionFailure() << "fork: " << std::strerror(errno);
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) _exit(1);
      int devnull = ::open("/dev/null", O_RDWR);
      if (devnull >= 0) {
        ::dup2(devnull, 0);
        ::dup2(devnull, 1);
      }
      ::execvp("redis-server", argv.data());
      _exit(127);
    }
    pid_ = pid;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    std::string last_reply;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return ::testing::AssertionFailure() << "redis-server exited early (status " << status
                                             << ") on port " << port_ << "; log tail:\n"
                                             << LogTail();
      }
      if (Ready(&last_reply)) return ::testing::AssertionSuccess();
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    Kill9();
    return ::testing::AssertionFailure()
           << "redis-server on port " << port_ << " not ready after 15 s (last reply '"
           << last_reply << "'); log tail:\n"
           << LogTail();
  }

  // Whether the log has this process's "ready" line (Redis prefixes each line with "<pid>:").
  bool LoggedReady() const {
    std::ifstream in(dir_ + "/redis.log");
    const std::string prefix = std::to_string(pid_) + ":";
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind(prefix, 0) == 0 &&
          line.find("Ready to accept connections") != std::string::npos) {
        return true;
      }
    }
    return false;
  }

  // Our server logged that it is ready; it accepts a connection and, for plain TCP, answers PING
  // with a reply that is not -LOADING.
  bool Ready(std::string* last_reply) const {
    if (!LoggedReady()) return false;
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port_));
    bool ready = false;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
      if (options_.tls) {
        ready = true;
      } else {
        const char ping[] = "*1\r\n$4\r\nPING\r\n";
        if (::send(fd, ping, sizeof(ping) - 1, MSG_NOSIGNAL) == sizeof(ping) - 1) {
          pollfd p{fd, POLLIN, 0};
          char buf[256];
          if (::poll(&p, 1, 1000) == 1) {
            ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
            if (n > 0) {
              last_reply->assign(buf, static_cast<size_t>(n));
              ready = last_reply->rfind("-LOADING", 0) != 0;
            }
          }
        }
      }
    }
    ::close(fd);
    return ready;
  }

  Options options_;
  std::string dir_;
  int port_ = -1;
  pid_t pid_ = -1;
};

}  // namespace scriptgen::testing
