// Design: one IngestRun object shared by the threads. Uploaders take the next file index from an
// atomic counter; with --wait they hand (file, display handle) to a small blocking queue that the
// followers drain. Each file's outcome is written only by the thread handling it, and read after
// all threads have joined. A transport failure (server unreachable) sets `abort_`, which makes
// every thread stop taking new work.
#include "client/ingest_command.h"

#include <atomic>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include "client/content_type.h"
#include "client/file_walker.h"
#include "client/format.h"
#include "client/idempotency_key.h"
#include "client/progress_display.h"
#include "client/url_encode.h"

namespace scriptgen::client {
namespace {

namespace json = boost::json;

constexpr int kFollowAttempts = 6;

bool IsTransport(const Status& s) {
  return ExitCode(s) == kExitUnreachable;
}

bool IsTerminal(const std::string& state) {
  return state == "succeeded" || state == "dead" || state == "cancelled";
}

struct FileOutcome {
  bool uploaded = false;
  bool created = false;
  std::string document_id;
  std::string job_id;
  std::string state;  // final job state (with --wait)
  int64_t chunks = -1;
  std::string error;  // why this file failed; "" if it did not
};

// A closeable FIFO of (file index, display handle).
class FollowQueue {
 public:
  void Push(size_t index, int handle) {
    std::lock_guard lock(mu_);
    items_.emplace_back(index, handle);
    cv_.notify_one();
  }
  void Close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    cv_.notify_all();
  }
  std::optional<std::pair<size_t, int>> Pop() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return closed_ || !items_.empty(); });
    if (items_.empty()) return std::nullopt;
    auto item = items_.front();
    items_.pop_front();
    return item;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<size_t, int>> items_;
  bool closed_ = false;
};

class IngestRun {
 public:
  IngestRun(const CommonOptions& common, const IngestOptions& options, std::vector<FileEntry> files,
            ProgressDisplay* display)
      : common_(common),
        options_(options),
        files_(std::move(files)),
        outcomes_(files_.size()),
        display_(display) {}

  void Execute() {
    const size_t concurrency = static_cast<size_t>(std::max(options_.concurrency, 1));
    const size_t upload_threads = std::min(concurrency, files_.size());
    // Event streams are cheap for the server and mostly idle here: follow more jobs at once than
    // there are uploads in flight, so the display keeps up with the server's workers.
    const size_t follow_threads = std::min(std::max<size_t>(2 * concurrency, 16), files_.size());
    std::vector<std::jthread> uploaders;
    std::vector<std::jthread> followers;
    for (size_t i = 0; i < upload_threads; ++i) uploaders.emplace_back([this] { UploadLoop(); });
    if (options_.wait) {
      for (size_t i = 0; i < follow_threads; ++i) followers.emplace_back([this] { FollowLoop(); });
    }
    for (auto& t : uploaders) t.join();
    queue_.Close();
    for (auto& t : followers) t.join();
  }

  const std::vector<FileEntry>& files() const { return files_; }
  const std::vector<FileOutcome>& outcomes() const { return outcomes_; }
  // The first transport failure, if the run was aborted by one.
  std::optional<Status> abort_status() const {
    std::lock_guard lock(abort_mu_);
    return abort_status_;
  }

 private:
  void Abort(const Status& s) {
    std::lock_guard lock(abort_mu_);
    if (!abort_status_) abort_status_ = s;
    abort_ = true;
  }

  void UploadLoop() {
    StatusOr<std::unique_ptr<ApiClient>> api = MakeApiClient(common_);
    if (!api.ok()) return Abort(api.status());
    while (!abort_) {
      const size_t i = next_.fetch_add(1);
      if (i >= files_.size()) return;
      const FileEntry& f = files_[i];
      FileOutcome& out = outcomes_[i];
      const std::string name = f.path.string();
      const int handle = display_->Start(name, "uploading");
      StatusOr<json::value> r = (*api)->Upload(
          f.path, f.path.filename().string(), std::string(ContentTypeForPath(f.path)),
          IdempotencyKey(f, options_.subject_id), options_.subject_id);
      if (!r.ok()) {
        if (IsTransport(r.status())) Abort(r.status());
        out.error = "upload: " + r.status().message();
        display_->Finish(handle, name + "  FAILED  " + out.error);
        continue;
      }
      out.uploaded = true;
      out.document_id = StringField(*r, "document_id");
      out.job_id = StringField(*r, "job_id");
      const json::value* created = Field(*r, "created");
      out.created = created == nullptr || !created->is_bool() || created->as_bool();
      const std::string again = out.created ? "" : "  (already uploaded)";
      if (options_.wait) {
        display_->Update(handle, 0, "uploaded", out.job_id + again);
        queue_.Push(i, handle);
      } else {
        display_->Finish(handle,
                         name + "  uploaded  " + out.document_id + "  " + out.job_id + again);
      }
    }
  }

  void FollowLoop() {
    StatusOr<std::unique_ptr<ApiClient>> api = MakeApiClient(common_);
    if (!api.ok()) return Abort(api.status());
    while (std::optional<std::pair<size_t, int>> item = queue_.Pop()) {
      const auto [i, handle] = *item;
      FileOutcome& out = outcomes_[i];
      const std::string name = files_[i].path.string();
      if (abort_) {
        out.error = "not followed: the server became unreachable";
        display_->Finish(handle, name + "  FAILED  " + out.error);
        continue;
      }
      Follow(**api, out, handle);
      if (out.state == "succeeded") {
        std::string line = name + "  succeeded";
        if (out.chunks >= 0) line += "  " + std::to_string(out.chunks) + " chunks";
        display_->Finish(handle, line + "  " + out.document_id);
      } else {
        display_->Finish(handle, name + "  FAILED  " + out.error);
      }
    }
  }

  // Follows one job to a terminal state; fills out.state / out.error / out.chunks.
  void Follow(ApiClient& api, FileOutcome& out, int handle) {
    std::string last_id;
    std::string event_error;
    int percent = 0;
    for (int attempt = 0; attempt < kFollowAttempts && !IsTerminal(out.state); ++attempt) {
      Status s = api.FollowEvents(out.job_id, &last_id, [&](const SseEvent& e) {
        boost::system::error_code ec;
        const json::value data = json::parse(e.data, ec);
        if (ec) return true;
        const std::string state = StringField(data, "state");
        const json::value* p = Field(data, "progress");
        if (p != nullptr && p->is_object() && !StringField(*p, "step").empty()) {
          percent = static_cast<int>(IntField(*p, "percent"));
          display_->Update(handle, percent, StringField(*p, "step"), StringField(*p, "message"));
        } else if (!state.empty() && !IsTerminal(state)) {
          // A state change (queued, running, scheduled for a retry): keep the bar where it was.
          display_->Update(handle, percent, state, StringField(data, "error"));
        }
        if (IsTerminal(state)) {
          out.state = state;
          event_error = StringField(data, "error");
          return false;
        }
        return true;
      });
      if (IsTerminal(out.state)) break;
      if (!s.ok() && !IsTransport(s)) {
        out.error = "events: " + s.message();
        return;
      }
      if (!s.ok() && attempt + 1 == kFollowAttempts) {
        Abort(s);
        out.error = "events: " + s.message();
        return;
      }
      // The stream broke or ended early: resume after the last event seen.
      std::this_thread::sleep_for(std::chrono::milliseconds(200 << attempt));
    }
    if (!IsTerminal(out.state)) {
      out.error = "events: the stream ended before the job finished";
      return;
    }
    if (out.state == "succeeded") {
      StatusOr<json::value> doc = api.Get("/v1/documents/" + PercentEncode(out.document_id));
      if (doc.ok()) out.chunks = IntField(*doc, "chunk_count");
      return;
    }
    // dead or cancelled: the job's last error says why.
    out.error = "job " + out.job_id + " " + out.state;
    StatusOr<json::value> job = api.Get("/v1/jobs/" + PercentEncode(out.job_id));
    const json::value* err = job.ok() ? Field(*job, "error") : nullptr;
    if (err != nullptr && err->is_object()) {
      out.error += ": " + StringField(*err, "class") + ": " + StringField(*err, "message");
    } else if (!event_error.empty()) {
      out.error += ": " + event_error;
    }
  }

  const CommonOptions& common_;
  const IngestOptions& options_;
  const std::vector<FileEntry> files_;
  std::vector<FileOutcome> outcomes_;
  ProgressDisplay* display_;
  FollowQueue queue_;
  std::atomic<size_t> next_{0};
  std::atomic<bool> abort_{false};
  mutable std::mutex abort_mu_;
  std::optional<Status> abort_status_;
};

struct Totals {
  size_t uploaded = 0;
  size_t succeeded = 0;
  size_t failed = 0;
  uint64_t bytes = 0;
};

Totals Count(const IngestRun& run, size_t path_errors, bool wait) {
  Totals t;
  t.failed = path_errors;
  for (size_t i = 0; i < run.files().size(); ++i) {
    const FileOutcome& o = run.outcomes()[i];
    if (o.uploaded) {
      ++t.uploaded;
      t.bytes += run.files()[i].size;
    }
    if (wait && o.state == "succeeded") ++t.succeeded;
    if (!o.error.empty()) ++t.failed;
  }
  return t;
}

void PrintSummary(const IngestRun& run, const std::vector<std::string>& path_errors,
                  const Totals& t, double elapsed, bool wait) {
  std::printf("\nuploaded   %zu of %zu files (%s)\n", t.uploaded,
              run.files().size() + path_errors.size(), FormatBytes(t.bytes).c_str());
  if (wait) std::printf("succeeded  %zu\n", t.succeeded);
  std::printf("failed     %zu\n", t.failed);
  for (const std::string& e : path_errors) std::printf("  %s\n", e.c_str());
  for (size_t i = 0; i < run.files().size(); ++i) {
    const FileOutcome& o = run.outcomes()[i];
    if (!o.error.empty()) {
      std::printf("  %s: %s\n", run.files()[i].path.string().c_str(), o.error.c_str());
    }
  }
  std::printf("elapsed    %s, %s\n", FormatDuration(elapsed).c_str(),
              FormatRate(t.bytes, elapsed).c_str());
}

void PrintJsonSummary(const IngestRun& run, const std::vector<std::string>& path_errors,
                      const Totals& t, double elapsed, bool wait) {
  json::array files;
  for (size_t i = 0; i < run.files().size(); ++i) {
    const FileOutcome& o = run.outcomes()[i];
    json::object f{{"path", run.files()[i].path.string()}, {"size", run.files()[i].size}};
    f["document_id"] = o.document_id.empty() ? json::value(nullptr) : json::value(o.document_id);
    f["job_id"] = o.job_id.empty() ? json::value(nullptr) : json::value(o.job_id);
    if (o.uploaded) f["created"] = o.created;
    if (wait) f["state"] = o.state.empty() ? json::value(nullptr) : json::value(o.state);
    if (o.chunks >= 0) f["chunk_count"] = o.chunks;
    f["error"] = o.error.empty() ? json::value(nullptr) : json::value(o.error);
    files.push_back(std::move(f));
  }
  json::array errors;
  for (const std::string& e : path_errors) errors.push_back(json::value(e));
  json::object summary{
      {"files", std::move(files)},
      {"path_errors", std::move(errors)},
      {"uploaded", t.uploaded},
      {"failed", t.failed},
      {"bytes", t.bytes},
      {"elapsed_s", elapsed},
      {"mb_per_s", elapsed > 0 ? static_cast<double>(t.bytes) / 1e6 / elapsed : 0.0}};
  if (wait) summary["succeeded"] = t.succeeded;
  PrintJson(summary);
}

}  // namespace

int RunIngest(const CommonOptions& common, const IngestOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  // Check the server URL and token before walking anything.
  if (StatusOr<std::unique_ptr<ApiClient>> api = MakeApiClient(common); !api.ok()) {
    return ReportError(api.status());
  }
  WalkResult walk = CollectFiles(options.paths);
  for (const std::string& e : walk.errors) std::fprintf(stderr, "scriptgen: %s\n", e.c_str());
  if (walk.files.empty()) {
    std::fprintf(stderr, "scriptgen: no files to ingest\n");
    return kExitFailure;
  }

  ProgressDisplay::Options display_options;
  display_options.mode = common.json          ? ProgressDisplay::Mode::kQuiet
                         : StdoutIsTerminal() ? ProgressDisplay::Mode::kLive
                                              : ProgressDisplay::Mode::kLines;
  display_options.width = TerminalWidth();
  ProgressDisplay display(stdout, display_options);
  IngestRun run(common, options, std::move(walk.files), &display);
  run.Execute();
  display.Close();

  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const Totals totals = Count(run, walk.errors.size(), options.wait);
  if (common.json) {
    PrintJsonSummary(run, walk.errors, totals, elapsed, options.wait);
  } else {
    PrintSummary(run, walk.errors, totals, elapsed, options.wait);
  }
  std::fflush(stdout);
  if (std::optional<Status> abort = run.abort_status()) return ReportError(*abort);
  return totals.failed > 0 ? kExitFailure : 0;
}

}  // namespace scriptgen::client
