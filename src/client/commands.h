// The client subcommands of the scriptgen binary: ingest, search, jobs (ls/show/cancel) and dlq
// (ls/retry/purge). They talk HTTP to a running `scriptgen serve` (--server, SCRIPTGEN_SERVER,
// default http://127.0.0.1:8080) with a bearer token (--token, SCRIPTGEN_TOKEN, else
// ./var/admin.token); --json prints the server's JSON instead of tables.
//
// In main():
//   CLI::App app{...};
//   scriptgen::client::ClientCommands client = scriptgen::client::AddClientCommands(app);
//   CLI11_PARSE(app, argc, argv);
//   if (client.parsed()) return client.Run();
#pragma once

#include <memory>

namespace CLI {
class App;
}

namespace scriptgen::client {

class ClientCommands {
 public:
  struct State;
  explicit ClientCommands(std::unique_ptr<State> state);
  ClientCommands(ClientCommands&&) noexcept;
  ClientCommands& operator=(ClientCommands&&) noexcept;
  ~ClientCommands();

  // True if the command line named one of the client subcommands.
  bool parsed() const;
  // Runs it; returns the process exit code.
  int Run();

 private:
  std::unique_ptr<State> state_;
};

// Registers the subcommands on `app`; the returned object owns the option storage they bind to
// and must outlive parsing.
ClientCommands AddClientCommands(CLI::App& app);

}  // namespace scriptgen::client
