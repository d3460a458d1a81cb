// The live block is redrawn whole: cursor up over the previous block ("\x1b[<n>A\r"), clear to
// the end of the screen ("\x1b[J"), write pending permanent lines, then the bars. Lines are cut
// to width-1 so the terminal never wraps them, which would break the line count.
#include "client/progress_display.h"

#include <algorithm>

#include "client/format.h"

namespace scriptgen::client {
namespace {

constexpr auto kMinRedrawInterval = std::chrono::milliseconds(80);

}  // namespace

ProgressDisplay::ProgressDisplay(std::FILE* out, Options options) : out_(out), options_(options) {}

ProgressDisplay::~ProgressDisplay() {
  Close();
}

int ProgressDisplay::Start(const std::string& name, const std::string& status) {
  std::lock_guard lock(mu_);
  const int handle = next_handle_++;
  Entry& e = active_[handle];
  e.name = name;
  e.step = status;
  if (options_.mode == Mode::kLines) {
    e.last_plain = name + "  " + status;
    std::fprintf(out_, "%s\n", e.last_plain.c_str());
    std::fflush(out_);
  } else if (options_.mode == Mode::kLive) {
    RenderLocked(false);
  }
  return handle;
}

void ProgressDisplay::Update(int handle, int percent, const std::string& step,
                             const std::string& message) {
  std::lock_guard lock(mu_);
  auto it = active_.find(handle);
  if (it == active_.end()) return;
  Entry& e = it->second;
  e.percent = percent;
  e.step = step;
  e.message = message;
  if (options_.mode == Mode::kLines) {
    std::string line = e.name + "  " + step + " " + std::to_string(percent) + "%";
    if (!message.empty()) line += "  " + message;
    if (line == e.last_plain) return;
    e.last_plain = line;
    std::fprintf(out_, "%s\n", line.c_str());
    std::fflush(out_);
  } else if (options_.mode == Mode::kLive) {
    RenderLocked(false);
  }
}

void ProgressDisplay::Finish(int handle, const std::string& final_line) {
  std::lock_guard lock(mu_);
  active_.erase(handle);
  if (options_.mode == Mode::kLines) {
    std::fprintf(out_, "%s\n", final_line.c_str());
    std::fflush(out_);
  } else if (options_.mode == Mode::kLive) {
    pending_.push_back(final_line);
    RenderLocked(true);
  }
}

void ProgressDisplay::Close() {
  std::lock_guard lock(mu_);
  if (closed_) return;
  closed_ = true;
  if (options_.mode != Mode::kLive) return;
  active_.clear();
  RenderLocked(true);
}

void ProgressDisplay::RenderLocked(bool force) {
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - last_render_ < kMinRedrawInterval) return;
  last_render_ = now;
  const size_t width = options_.width > 1 ? options_.width - 1 : 1;
  std::string frame;
  if (drawn_ > 0) frame += "\x1b[" + std::to_string(drawn_) + "A\r";
  frame += "\x1b[J";
  for (const std::string& line : pending_) frame += line + "\n";
  pending_.clear();
  size_t name_column = 0;
  for (const auto& [handle, e] : active_) name_column = std::max(name_column, DisplayWidth(e.name));
  size_t lines = 0;
  for (const auto& [handle, e] : active_) {
    if (lines == options_.max_live_lines) break;
    frame += ProgressLine(e.name, e.percent, e.step, e.message, width, name_column) + "\n";
    ++lines;
  }
  if (active_.size() > lines) {
    frame += "... and " + std::to_string(active_.size() - lines) + " more in flight\n";
    ++lines;
  }
  drawn_ = lines;
  std::fputs(frame.c_str(), out_);
  std::fflush(out_);
}

}  // namespace scriptgen::client
