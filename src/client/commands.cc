// CLI11 wiring only: every leaf subcommand gets the common options and its own, and remembers
// which Run function to call. Behaviour lives in the *_command.cc files.
//
// Each leaf binds its common options to its own CommonOptions: CLI11 applies environment
// variables (SCRIPTGEN_SERVER, SCRIPTGEN_TOKEN) to the options of subcommands that were not
// parsed too, so one shared struct would let the environment override a flag given on the
// command line of the leaf that was.
#include "client/commands.h"

#include <CLI/CLI.hpp>
#include <deque>
#include <functional>
#include <vector>

#include "client/dlq_command.h"
#include "client/embed_versions_command.h"
#include "client/governance_command.h"
#include "client/ingest_command.h"
#include "client/jobs_command.h"
#include "client/search_command.h"

namespace scriptgen::client {

struct ClientCommands::State {
  std::deque<CommonOptions> common;  // one per leaf; a deque keeps their addresses stable
  IngestOptions ingest;
  SearchOptions search;
  JobsOptions jobs;
  DlqOptions dlq;
  GovernanceOptions governance;
  EmbedVersionOptions embed;
  struct Leaf {
    CLI::App* app;
    const CommonOptions* common;
    std::function<int(const CommonOptions&)> run;
  };
  std::vector<Leaf> leaves;
};

namespace {

using State = ClientCommands::State;

CLI::App* Leaf(State& st, CLI::App& parent, const std::string& name, const std::string& description,
               std::function<int(const CommonOptions&)> run) {
  CLI::App* cmd = parent.add_subcommand(name, description);
  CommonOptions& common = st.common.emplace_back();
  cmd->add_option("--server", common.server, "URL of the scriptgen server")
      ->envname("SCRIPTGEN_SERVER")
      ->capture_default_str();
  cmd->add_option("--token", common.token,
                  "Bearer token (default: SCRIPTGEN_TOKEN, else ./var/admin.token)")
      ->envname("SCRIPTGEN_TOKEN");
  cmd->add_flag("--json", common.json, "Print the raw JSON instead of tables");
  st.leaves.push_back({cmd, &common, std::move(run)});
  return cmd;
}

void AddIngest(State& st, CLI::App& app) {
  CLI::App* cmd = Leaf(st, app, "ingest", "Upload files and folders to a running server",
                       [&st](const CommonOptions& c) { return RunIngest(c, st.ingest); });
  cmd->add_option("paths", st.ingest.paths, "Files and folders (recursive; hidden ones skipped)")
      ->required();
  cmd->add_flag("--wait", st.ingest.wait, "Follow each ingest job to its end, with progress");
  cmd->add_option("--subject-id", st.ingest.subject_id, "Data subject the documents belong to");
  cmd->add_option("--concurrency", st.ingest.concurrency, "Parallel uploads")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
}

void AddSearch(State& st, CLI::App& app) {
  CLI::App* cmd = Leaf(st, app, "search", "Search the ingested documents",
                       [&st](const CommonOptions& c) { return RunSearch(c, st.search); });
  cmd->add_option("query", st.search.query, "What to look for")->required();
  cmd->add_option("-k", st.search.k, "Number of results")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
}

void AddJobs(State& st, CLI::App& app) {
  CLI::App* jobs = app.add_subcommand("jobs", "Inspect and cancel jobs");
  jobs->require_subcommand(1);
  CLI::App* ls = Leaf(st, *jobs, "ls", "List jobs, oldest first",
                      [&st](const CommonOptions& c) { return RunJobsList(c, st.jobs); });
  ls->add_option("--state", st.jobs.state,
                 "queued, scheduled, running, succeeded, dead or cancelled");
  ls->add_option("--limit", st.jobs.limit, "Jobs per page")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  ls->add_option("--cursor", st.jobs.cursor, "Continue after a previous page");
  CLI::App* show = Leaf(st, *jobs, "show", "Show one job",
                        [&st](const CommonOptions& c) { return RunJobsShow(c, st.jobs); });
  show->add_option("job_id", st.jobs.job_id, "e.g. job_7")->required();
  CLI::App* cancel = Leaf(st, *jobs, "cancel", "Cancel a job",
                          [&st](const CommonOptions& c) { return RunJobsCancel(c, st.jobs); });
  cancel->add_option("job_id", st.jobs.job_id, "e.g. job_7")->required();
}

void AddDlq(State& st, CLI::App& app) {
  CLI::App* dlq = app.add_subcommand("dlq", "The dead-letter queue: failed jobs");
  dlq->require_subcommand(1);
  CLI::App* ls = Leaf(st, *dlq, "ls", "List dead jobs with their errors",
                      [&st](const CommonOptions& c) { return RunDlqList(c, st.dlq); });
  ls->add_option("--error-class", st.dlq.error_class, "Only this class (e.g. bad_input)");
  ls->add_option("--limit", st.dlq.limit, "Jobs per page")
      ->check(CLI::Range(1, 500))
      ->capture_default_str();
  ls->add_option("--cursor", st.dlq.cursor, "Continue after a previous page");
  CLI::App* retry = Leaf(st, *dlq, "retry", "Requeue one dead job, or all of a class",
                         [&st](const CommonOptions& c) { return RunDlqRetry(c, st.dlq); });
  retry->add_option("job_id", st.dlq.job_id, "e.g. job_7");
  retry->add_option("--error-class", st.dlq.error_class, "Requeue every dead job of this class");
  CLI::App* purge = Leaf(st, *dlq, "purge", "Delete one dead job, or all (of a class)",
                         [&st](const CommonOptions& c) { return RunDlqPurge(c, st.dlq); });
  purge->add_option("job_id", st.dlq.job_id, "e.g. job_7");
  purge->add_flag("--all", st.dlq.all, "Purge every dead job (of --error-class, if given)");
  purge->add_option("--error-class", st.dlq.error_class, "With --all: only this class");
}

}  // namespace

ClientCommands::ClientCommands(std::unique_ptr<State> state) : state_(std::move(state)) {}
ClientCommands::ClientCommands(ClientCommands&&) noexcept = default;
ClientCommands& ClientCommands::operator=(ClientCommands&&) noexcept = default;
ClientCommands::~ClientCommands() = default;

bool ClientCommands::parsed() const {
  for (const State::Leaf& leaf : state_->leaves) {
    if (leaf.app->parsed()) return true;
  }
  return false;
}

int ClientCommands::Run() {
  for (const State::Leaf& leaf : state_->leaves) {
    if (leaf.app->parsed()) return leaf.run(*leaf.common);
  }
  return 1;
}

void AddGovernance(State& st, CLI::App& app) {
  CLI::App* retention = app.add_subcommand("retention", "Retention sweeps and compliance (admin)");
  retention->require_subcommand(1);
  CLI::App* run = Leaf(st, *retention, "run", "Delete what is past its retention, now or at a date",
                       [&st](const CommonOptions& c) { return RunRetention(c, st.governance); });
  run->add_option("--as-of", st.governance.as_of,
                  "Sweep as if it were this date (2027-06-01 or RFC 3339)");
  Leaf(st, *retention, "report", "Counts, oldest and overdue items per class, pending erasures",
       [&st](const CommonOptions& c) { return RunComplianceReport(c, st.governance); });
  CLI::App* doctor = Leaf(st, app, "doctor", "Consistency checks of the server's data (admin)",
                          [&st](const CommonOptions& c) { return RunDoctor(c, st.governance); });
  doctor->add_flag("--orphans", st.governance.orphans,
                   "Files without rows, rows without files, stale staging files");
  doctor->add_flag("--fix", st.governance.fix, "Remove the orphaned files found");
}

void AddEmbedVersions(State& st, CLI::App& app) {
  CLI::App* ev = app.add_subcommand("embed-versions", "Embedding model versions (admin)");
  ev->require_subcommand(1);
  Leaf(st, *ev, "ls", "Every embed_version, its state and how complete it is",
       [&st](const CommonOptions& c) { return RunEmbedVersionsList(c, st.embed); });
  CLI::App* add = Leaf(st, *ev, "add", "Register a version (built by `scriptgen reindex`)",
                       [&st](const CommonOptions& c) { return RunEmbedVersionsAdd(c, st.embed); });
  add->add_option("--provider", st.embed.provider, "hash or openai")
      ->required()
      ->check(CLI::IsMember({"hash", "openai"}));
  add->add_option("--dim", st.embed.dim, "Vector dimension")
      ->required()
      ->check(CLI::Range(2, 8192));
  add->add_option("--model", st.embed.model, "Model name (openai)");
  add->add_option("--url", st.embed.url, "Base URL of the provider (default: the server's)");
  CLI::App* activate =
      Leaf(st, *ev, "activate", "Switch search to a complete version (or back: the rollback)",
           [&st](const CommonOptions& c) { return RunEmbedVersionsActivate(c, st.embed); });
  activate->add_option("version", st.embed.version, "e.g. hash-v1-128")->required();
  CLI::App* retire =
      Leaf(st, *ev, "retire", "Delete a version's vectors (not the active one)",
           [&st](const CommonOptions& c) { return RunEmbedVersionsRetire(c, st.embed); });
  retire->add_option("version", st.embed.version, "e.g. hash-v1-128")->required();
  CLI::App* reindex =
      Leaf(st, app, "reindex", "Embed every chunk that lacks a vector of a version (a job)",
           [&st](const CommonOptions& c) { return RunReindex(c, st.embed); });
  reindex->add_option("--version", st.embed.version, "The embed_version to build")->required();
  reindex->add_flag("--wait", st.embed.wait, "Follow the job to its end");
}

ClientCommands AddClientCommands(CLI::App& app) {
  auto state = std::make_unique<State>();
  AddIngest(*state, app);
  AddSearch(*state, app);
  AddJobs(*state, app);
  AddDlq(*state, app);
  AddGovernance(*state, app);
  AddEmbedVersions(*state, app);
  return ClientCommands(std::move(state));
}

}  // namespace scriptgen::client
