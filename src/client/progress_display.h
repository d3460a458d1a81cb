// ProgressDisplay: what `scriptgen ingest` shows while it works. Thread-safe (uploaders and
// event followers report from their own threads).
//
//   ProgressDisplay d(stdout, {.mode = ProgressDisplay::Mode::kLive, .width = 120});
//   int h = d.Start("docs/a.txt", "uploading");
//   d.Update(h, 40, "chunk", "started");
//   d.Finish(h, "docs/a.txt  succeeded  3 chunks  doc_3");
//   d.Close();
//
// kLive (a terminal): a block of progress bars, one per file in flight, redrawn in place with
// ANSI cursor movement (at most ~12 redraws/s, at most `max_live_lines` bars plus "... N more");
// finished files scroll up above it as permanent lines.
// kLines (not a terminal): one plain line per event ("docs/a.txt  chunk 40%  started"), repeated
// identical events suppressed, plus the final lines.
// kQuiet: nothing (--json).
#pragma once

#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace scriptgen::client {

class ProgressDisplay {
 public:
  enum class Mode { kLive, kLines, kQuiet };
  struct Options {
    Mode mode = Mode::kLines;
    size_t width = 100;
    size_t max_live_lines = 20;
  };

  ProgressDisplay(std::FILE* out, Options options);
  ~ProgressDisplay();
  ProgressDisplay(const ProgressDisplay&) = delete;
  ProgressDisplay& operator=(const ProgressDisplay&) = delete;

  // A file enters the display; `status` is shown in place of a step until the first Update.
  int Start(const std::string& name, const std::string& status);
  void Update(int handle, int percent, const std::string& step, const std::string& message);
  // The file leaves the live block; `final_line` is printed permanently.
  void Finish(int handle, const std::string& final_line);
  // Clears the live block (idempotent). Call before printing anything else to `out`.
  void Close();

 private:
  struct Entry {
    std::string name;
    int percent = 0;
    std::string step;
    std::string message;
    std::string last_plain;  // kLines: the last line printed for it
  };

  void RenderLocked(bool force);

  std::FILE* out_;
  const Options options_;
  std::mutex mu_;
  int next_handle_ = 0;
  std::map<int, Entry> active_;
  std::vector<std::string> pending_;  // permanent lines not yet written (kLive)
  size_t drawn_ = 0;                  // lines of the live block currently on screen
  std::chrono::steady_clock::time_point last_render_{};
  bool closed_ = false;
};

}  // namespace scriptgen::client
