// scriptgen: one binary, many subcommands (CLI11). This file only parses the command line and
// hands over to the subcommand's Run function; wiring lives in the app/ files next to it.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "app/bench_queue.h"
#include "app/governance_cli.h"
#include "app/migrate_command.h"
#include "app/serve.h"
#include "app/tokens_command.h"
#include "client/commands.h"
#include "pii/pii_cli.h"
#include "pii/pii_scrubber.h"

int main(int argc, char** argv) {
  CLI::App app{"scriptgen: durable document ingestion, search and data governance"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "scriptgen 0.1.0");

  scriptgen::app::ServeOptions so;
  auto* serve = app.add_subcommand("serve", "Run the HTTP API and the workers (embedded backends)");
  auto* worker = app.add_subcommand(
      "worker",
      "Run workers only, against a shared queue (--queue redis://...) and data directory");
  for (CLI::App* cmd : {serve, worker}) {
    cmd->add_option("--queue", so.queue,
                    "Job queue: empty for the embedded one, or redis://[user:pass@]host:port/db, "
                    "rediss://... (TLS; password also from SCRIPTGEN_REDIS_PASSWORD[_FILE])")
        ->envname("SCRIPTGEN_QUEUE");
  }
  serve
      ->add_option("--role", so.role,
                   "all: API and workers; api: API only (workers run as `scriptgen worker`)")
      ->envname("SCRIPTGEN_ROLE")
      ->check(CLI::IsMember({"all", "api"}))
      ->capture_default_str();
  serve
      ->add_option("--max-queue-depth", so.max_queue_depth,
                   "Waiting jobs beyond which uploads get 503 + Retry-After (0: no limit)")
      ->envname("SCRIPTGEN_MAX_QUEUE_DEPTH")
      ->check(CLI::Range(int64_t{0}, int64_t{1'000'000'000}))
      ->capture_default_str();
  serve->add_option("--listen", so.listen, "Address to listen on (host:port)")
      ->envname("SCRIPTGEN_LISTEN")
      ->capture_default_str();
  serve->add_option("--max-upload-mb", so.max_upload_mb, "Largest accepted upload, in MiB")
      ->envname("SCRIPTGEN_MAX_UPLOAD_MB")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  serve
      ->add_option("--rate-limit", so.rate_limit_per_s,
                   "Requests per second per non-admin token (0: unlimited)")
      ->envname("SCRIPTGEN_RATE_LIMIT")
      ->check(CLI::Range(0.0, 1e6))
      ->capture_default_str();
  serve->add_option("--rate-burst", so.rate_limit_burst, "Burst allowance of the rate limit")
      ->envname("SCRIPTGEN_RATE_BURST")
      ->check(CLI::Range(1.0, 1e6))
      ->capture_default_str();

  serve->add_option("--tls-cert", so.tls_cert_file, "PEM certificate chain (enables HTTPS)")
      ->envname("SCRIPTGEN_TLS_CERT");
  serve->add_option("--tls-key", so.tls_key_file, "PEM private key of --tls-cert")
      ->envname("SCRIPTGEN_TLS_KEY");
  serve
      ->add_flag("--allow-plain-http", so.allow_plain_http,
                 "Serve plain HTTP on a non-loopback address (a TLS proxy is in front)")
      ->envname("SCRIPTGEN_ALLOW_PLAIN_HTTP");
  serve
      ->add_option("--max-connections", so.max_connections,
                   "Concurrent connections, SSE streams included")
      ->envname("SCRIPTGEN_MAX_CONNECTIONS")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  serve
      ->add_option("--retention-days", so.retention_days,
                   "Days user content is kept (documents on legal hold: until released)")
      ->envname("SCRIPTGEN_RETENTION_DAYS")
      ->check(CLI::Range(1, 36500))
      ->capture_default_str();
  serve
      ->add_option("--metrics-access", so.metrics_access,
                   "GET /metrics: open (no token), token (admin token) or off")
      ->envname("SCRIPTGEN_METRICS_ACCESS")
      ->check(CLI::IsMember({"open", "token", "off"}))
      ->capture_default_str();

  // Options of every process that runs pipelines: `serve` and `scriptgen worker`.
  for (CLI::App* cmd : {serve, worker}) {
    cmd->add_option("--data-dir", so.data_dir, "Directory for the database and uploaded files")
        ->envname("SCRIPTGEN_DATA_DIR")
        ->capture_default_str();
    cmd->add_option("--workers", so.workers, "Worker threads (0: two per core, at least 4)")
        ->envname("SCRIPTGEN_WORKERS")
        ->check(CLI::Range(0, 1024));
    cmd->add_option("--durable-worker", so.durable_worker,
                    "true: jobs go through the durable queue; false: in-process, not persisted")
        ->envname("USE_DURABLE_WORKER")
        ->capture_default_str();
    cmd->add_option("--embed-provider", so.embed_provider, "Embedding provider: hash or openai")
        ->envname("SCRIPTGEN_EMBED_PROVIDER")
        ->check(CLI::IsMember({"hash", "openai"}))
        ->capture_default_str();
    cmd->add_option(
           "--embed-url", so.embed_url,
           "Base URL of an OpenAI-compatible embedding API, e.g. https://api.openai.com/v1 "
           "(the key comes from SCRIPTGEN_EMBED_API_KEY or SCRIPTGEN_EMBED_API_KEY_FILE)")
        ->envname("SCRIPTGEN_EMBED_URL");
    cmd->add_option("--embed-model", so.embed_model, "Embedding model name (openai provider)")
        ->envname("SCRIPTGEN_EMBED_MODEL");
    cmd->add_option("--embed-dim", so.embed_dimension, "Dimension of the embedding vectors")
        ->envname("SCRIPTGEN_EMBED_DIM")
        ->check(CLI::Range(8, 4096))
        ->capture_default_str();
    cmd->add_option("--max-attempts", so.max_attempts,
                    "Tries per job (retries after 1, 5, 25, 125 s) before it is dead-lettered")
        ->envname("SCRIPTGEN_MAX_ATTEMPTS")
        ->check(CLI::Range(1, 20))
        ->capture_default_str();
    cmd->add_option("--chunk-chars", so.chunk_chars, "Target chunk size in characters")
        ->envname("SCRIPTGEN_CHUNK_CHARS")
        ->check(CLI::Range(50, 100000))
        ->capture_default_str();
    cmd->add_option("--chunk-overlap", so.chunk_overlap, "Chunk overlap in characters")
        ->envname("SCRIPTGEN_CHUNK_OVERLAP")
        ->check(CLI::Range(0, 50000))
        ->capture_default_str();
    cmd->add_option("--allowed-types", so.allowed_types,
                    "Document types accepted (sniffed from content), comma separated; default: "
                    "PDF, DOCX, HTML, Markdown, CSV, plain text")
        ->delimiter(',')
        ->envname("SCRIPTGEN_ALLOWED_TYPES")
        ->check(CLI::IsMember({"text/plain", "text/markdown", "text/html", "text/csv",
                               "application/pdf",
                               "application/vnd.openxmlformats-officedocument.wordprocessingml."
                               "document"}));
    cmd->add_option("--log-level", so.log_level, "debug, info, warn or error")
        ->envname("SCRIPTGEN_LOG_LEVEL")
        ->check(CLI::IsMember({"debug", "info", "warn", "error"}))
        ->capture_default_str();
    cmd->add_option("--pii-policy", so.pii_policy,
                    "Per-kind PII operator, e.g. email=mask,phone=pseudonym (default: <KIND> "
                    "placeholders)")
        ->envname("SCRIPTGEN_PII_POLICY");
    cmd->add_option("--secret-policy", so.secret_policy, "Secrets in documents: redact or refuse")
        ->envname("SCRIPTGEN_SECRET_POLICY")
        ->check(CLI::IsMember({"redact", "refuse"}))
        ->capture_default_str();
  }

  scriptgen::app::TokensCommandOptions tk;
  auto* tokens = app.add_subcommand("tokens", "Manage API tokens in a data directory");
  tokens->require_subcommand(1);
  tokens->add_option("--data-dir", tk.data_dir, "Data directory of the server")
      ->envname("SCRIPTGEN_DATA_DIR")
      ->capture_default_str();
  auto* tokens_create = tokens->add_subcommand("create", "Create a token (printed once)");
  tokens_create->add_option("--role", tk.role, "admin, writer or reader")
      ->required()
      ->check(CLI::IsMember({"admin", "writer", "reader"}));
  tokens_create->add_option("--subject", tk.subject, "Subject a writer/reader token is bound to");
  tokens_create->add_option("--expires", tk.expires, "Lifetime, e.g. 30d, 12h (default: never)");
  tokens_create->add_option("--note", tk.note, "Free text, e.g. who it is for");
  tokens_create->add_flag("--json", tk.json, "Print {\"id\",\"token\"} as JSON");
  auto* tokens_ls = tokens->add_subcommand("ls", "List tokens (never their secrets)");
  auto* tokens_revoke = tokens->add_subcommand("revoke", "Revoke a token at once");
  tokens_revoke->add_option("id", tk.id, "Token id (tok_...)")->required();
  // --data-dir may also follow the action: `scriptgen tokens ls --data-dir var`.
  for (CLI::App* action : {tokens_create, tokens_ls, tokens_revoke}) action->fallthrough();

  auto* pii = app.add_subcommand("pii", "Find or scrub personal data in text (UTF-8)");
  pii->require_subcommand(1);
  std::string pii_path = "-";
  std::string pii_policy;
  std::string pii_key_file;
  bool pii_summary = false;
  auto* pii_scan = pii->add_subcommand(
      "scan", "Print one JSON line per finding: {\"kind\",\"start\",\"end\",\"confidence\"}");
  auto* pii_scrub = pii->add_subcommand("scrub", "Print the text with personal data replaced");
  for (CLI::App* sub : {pii_scan, pii_scrub}) {
    sub->add_option("file", pii_path, "Input file, or - for standard input")->capture_default_str();
    sub->add_flag("--summary", pii_summary, "Print per-kind counts to stderr at the end");
  }
  pii_scrub->add_option("--policy", pii_policy, "Per-kind operator, e.g. email=mask,rrn=redact");
  pii_scrub
      ->add_option("--key-file", pii_key_file,
                   "File holding the pseudonym key (for the pseudonym operator)")
      ->envname("SCRIPTGEN_PII_KEY_FILE");

  std::string cert_file, cert_public_key, gov_data_dir = "./var";
  auto* certificate = app.add_subcommand("certificate", "Deletion certificates");
  certificate->require_subcommand(1);
  auto* certificate_verify = certificate->add_subcommand(
      "verify", "Check a deletion certificate's signature (exit 0 only if valid)");
  certificate_verify->add_option("file", cert_file, "Certificate JSON file")->required();
  certificate_verify->add_option("--public-key", cert_public_key,
                                 "Trusted Ed25519 public key (base64)");
  certificate_verify->add_option("--data-dir", gov_data_dir,
                                 "Take the key from this data directory, and check the audit log");
  auto* audit = app.add_subcommand("audit", "The hash-chained audit log");
  audit->require_subcommand(1);
  auto* audit_verify = audit->add_subcommand(
      "verify", "Recompute the chain; exit non-zero at the first broken link");
  audit_verify->add_option("--data-dir", gov_data_dir, "Data directory of the server")
      ->envname("SCRIPTGEN_DATA_DIR")
      ->capture_default_str();

  scriptgen::app::MigrateOptions mo;
  auto* migrate = app.add_subcommand("migrate", "The database schema version: status, up, down");
  migrate->require_subcommand(1);
  auto* migrate_status = migrate->add_subcommand("status", "Schema version and each migration");
  auto* migrate_up = migrate->add_subcommand("up", "Apply pending migrations (or up to --to N)");
  auto* migrate_down = migrate->add_subcommand(
      "down", "Undo migrations down to --to N (drops their data; stop the server first)");
  for (CLI::App* sub : {migrate_status, migrate_up, migrate_down}) {
    sub->add_option("--data-dir", mo.data_dir, "Data directory of the server")
        ->envname("SCRIPTGEN_DATA_DIR")
        ->capture_default_str();
  }
  migrate_up->add_option("--to", mo.to, "Target schema version")->check(CLI::NonNegativeNumber);
  migrate_down->add_option("--to", mo.to, "Target schema version")
      ->required()
      ->check(CLI::NonNegativeNumber);

  auto* bench = app.add_subcommand("bench", "Built-in benchmarks");
  bench->require_subcommand(1);
  scriptgen::app::QueueBenchOptions qb;
  auto* bench_queue = bench->add_subcommand("queue", "No-op jobs through the embedded queue");
  bench_queue->add_option("--jobs", qb.jobs, "Number of jobs")->check(CLI::Range(1, 100'000'000));
  bench_queue->add_option("--workers", qb.workers, "Worker threads")->check(CLI::Range(1, 1024));
  bench_queue->add_option("--producers", qb.producers, "Concurrent enqueuers")
      ->check(CLI::Range(1, 4096));
  bench_queue->add_option("--prefetch", qb.prefetch, "Jobs claimed ahead of the workers")
      ->check(CLI::Range(0, 100000));
  bench_queue->add_option("--data-dir", qb.data_dir, "Use this directory (default: a temp dir)");
  bench_queue->add_option("--backend", qb.backend,
                          "Queue to measure: empty for the embedded SQLite queue, or "
                          "redis://host:port/db (no-op jobs end to end through Redis)");
  bench_queue->add_flag("--redis-events", qb.redis_events,
                        "Redis backend: publish job events through Redis too (as `serve` does)");
  bench_queue
      ->add_option("--rate", qb.rate,
                   "Also measure enqueue-to-complete latency at this fixed rate (jobs/s)")
      ->check(CLI::Range(0, 1'000'000));
  bool in_memory = false;
  bench_queue->add_flag("--in-memory", in_memory, "Use the non-durable in-memory queue");

  scriptgen::client::ClientCommands client = scriptgen::client::AddClientCommands(app);

  CLI11_PARSE(app, argc, argv);

  if (serve->parsed()) return scriptgen::app::RunServe(so);
  if (worker->parsed()) return scriptgen::app::RunWorker(so);
  if (certificate_verify->parsed()) {
    const bool dir_given = certificate_verify->count("--data-dir") > 0;
    return scriptgen::app::RunCertificateVerify(
        cert_file, cert_public_key, dir_given ? gov_data_dir : "", std::cout, std::cerr);
  }
  if (audit_verify->parsed()) {
    return scriptgen::app::RunAuditVerify(gov_data_dir, std::cout, std::cerr);
  }
  if (pii->parsed()) {
    scriptgen::pii::ScanOptions opts;
    opts.summary = pii_summary;
    if (pii_scan->parsed())
      return scriptgen::pii::RunPiiScanPath(pii_path, std::cout, std::cerr, opts);
    scriptgen::StatusOr<scriptgen::pii::ScrubPolicy> policy =
        scriptgen::pii::ParseScrubPolicy(pii_policy);
    if (!policy.ok()) {
      std::cerr << "scriptgen pii scrub: --policy: " << policy.status().message() << "\n";
      return 2;
    }
    opts.policy = *policy;
    if (!pii_key_file.empty()) {
      std::ifstream key(pii_key_file);
      if (!key || !std::getline(key, opts.pseudonym_key)) {
        std::cerr << "scriptgen pii scrub: cannot read --key-file " << pii_key_file << "\n";
        return 2;
      }
    }
    return scriptgen::pii::RunPiiScrubPath(pii_path, std::cout, std::cerr, opts);
  }
  if (tokens->parsed()) {
    tk.action = tokens_create->parsed() ? "create" : tokens_ls->parsed() ? "ls" : "revoke";
    return scriptgen::app::RunTokensCommand(tk);
  }
  if (migrate_status->parsed()) return scriptgen::app::RunMigrateStatus(mo);
  if (migrate_up->parsed()) return scriptgen::app::RunMigrateUp(mo);
  if (migrate_down->parsed()) return scriptgen::app::RunMigrateDown(mo);
  if (client.parsed()) return client.Run();
  if (bench_queue->parsed()) {
    qb.durable = !in_memory;
    return scriptgen::app::RunQueueBench(qb);
  }
  return 0;
}
