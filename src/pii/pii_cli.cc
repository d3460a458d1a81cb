// Streaming scan and scrub.
//
// The stream is processed in rounds over a buffer that holds: up to kLookbehindBytes of text
// already scanned (context for boundaries and context words), the text to scan this round, and at
// least `lookahead` bytes after it. Findings must start inside the round's range but may run past
// its end; the next round starts after the last finding. Because patterns never match a newline
// and every finding is shorter than the look-ahead, each round sees exactly the bytes a
// whole-input scan would look at, so results are identical (pii_cli_test checks this with
// 7-byte blocks).
//
// The cut prefers the last newline, then the last space or tab once a line exceeds the block size,
// then any UTF-8 sequence boundary: whitespace cuts keep the skip-over-alphanumeric-runs of the
// detector equivalent to the whole-text scan, and never cut inside a character so the lookbehind
// can always be decoded as text.
#include "pii/pii_cli.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <vector>

namespace scriptgen::pii {
namespace {

// Feeds findings (with offsets relative to the buffer) and the buffer's global base to a sink.
class StreamScanner {
 public:
  StreamScanner(const PiiDetector& detector, const ScanOptions& opts)
      : detector_(detector), opts_(opts) {
    if (opts_.block_size == 0) opts_.block_size = 1;
  }

  // sink.OnFinding(buf, finding) and sink.OnCommit(buf, up_to) (all text before up_to is final).
  template <typename Sink>
  bool Run(std::istream& in, Sink& sink) {
    std::vector<char> block(opts_.block_size);
    bool eof = false;
    while (!eof) {
      in.read(block.data(), static_cast<std::streamsize>(block.size()));
      std::streamsize got = in.gcount();
      if (in.bad()) return false;
      buf_.append(block.data(), static_cast<size_t>(got));
      eof = in.eof() || got == 0;
      size_t cut = eof ? buf_.size() : ChooseCut();
      if (cut == std::string::npos) continue;
      for (const PiiFinding& f : detector_.Detect(buf_, scan_from_, cut)) {
        sink.OnFinding(buf_, base_, f);
        scan_from_ = f.end;
      }
      scan_from_ = std::max(scan_from_, cut);
      sink.OnCommit(buf_, base_, cut);
      Compact(cut);
    }
    return true;
  }

 private:
  size_t ChooseCut() const {
    if (buf_.size() < scan_from_ + opts_.lookahead + 1) return std::string::npos;
    size_t limit = buf_.size() - opts_.lookahead;  // cut must be <= limit
    std::string_view region(buf_.data() + scan_from_, limit - scan_from_);
    size_t nl = region.rfind('\n');
    if (nl != std::string_view::npos) return scan_from_ + nl + 1;
    if (region.size() < opts_.block_size) return std::string::npos;  // wait for a newline
    size_t ws = region.find_last_of(" \t");
    if (ws != std::string_view::npos && ws > 0) return scan_from_ + ws + 1;
    size_t cut = limit;
    while (cut > scan_from_ + 1 && (static_cast<unsigned char>(buf_[cut]) & 0xC0) == 0x80) --cut;
    return cut;
  }

  void Compact(size_t cut) {
    size_t drop = cut > PiiDetector::kLookbehindBytes ? cut - PiiDetector::kLookbehindBytes : 0;
    // Never drop text not yet scanned (a finding can end beyond cut).
    drop = std::min(drop, scan_from_);
    if (drop == 0) return;
    // Keep the lookbehind starting on a UTF-8 sequence boundary.
    while (drop > 0 && (static_cast<unsigned char>(buf_[drop]) & 0xC0) == 0x80) --drop;
    buf_.erase(0, drop);
    base_ += drop;
    scan_from_ -= drop;
  }

  const PiiDetector& detector_;
  ScanOptions opts_;
  std::string buf_;
  uint64_t base_ = 0;     // global offset of buf_[0]
  size_t scan_from_ = 0;  // next finding may start here (buffer offset)
};

void PrintSummary(std::ostream& err, const PiiCounts& counts) {
  err << "pii:";
  for (PiiKind kind : kAllPiiKinds) err << ' ' << PiiKindName(kind) << '=' << counts[Index(kind)];
  err << '\n';
}

struct ScanSink {
  std::ostream& out;
  PiiCounts counts{};
  void OnFinding(const std::string&, uint64_t base, const PiiFinding& f) {
    char confidence[16];
    std::snprintf(confidence, sizeof confidence, "%.2f", f.confidence);
    out << "{\"kind\":\"" << PiiKindName(f.kind) << "\",\"start\":" << base + f.start
        << ",\"end\":" << base + f.end << ",\"confidence\":" << confidence << "}\n";
    ++counts[Index(f.kind)];
  }
  void OnCommit(const std::string&, uint64_t, size_t) {}
};

struct ScrubSink {
  std::ostream& out;
  const PiiScrubber& scrubber;
  PiiCounts counts{};
  uint64_t emitted = 0;  // global offset up to which output is written
  std::string pending;

  void OnFinding(const std::string& buf, uint64_t base, const PiiFinding& f) {
    size_t from = static_cast<size_t>(emitted - base);
    pending.append(buf, from, f.start - from);
    scrubber.AppendReplacement(buf, f, &pending);
    emitted = base + f.end;
    ++counts[Index(f.kind)];
  }
  void OnCommit(const std::string& buf, uint64_t base, size_t cut) {
    if (base + cut > emitted) {
      size_t from = static_cast<size_t>(emitted - base);
      pending.append(buf, from, cut - from);
      emitted = base + cut;
    }
    out << pending;
    pending.clear();
  }
};

int WithInput(std::string_view path, std::string_view command, std::ostream& err,
              const std::function<int(std::istream&)>& run) {
  if (path == "-" || path.empty()) return run(std::cin);
  std::ifstream file{std::string(path), std::ios::binary};
  if (!file) {
    err << "pii " << command << ": cannot open '" << path << "'\n";
    return 1;
  }
  return run(file);
}

}  // namespace

int RunPiiScan(std::istream& in, std::ostream& out, std::ostream& err, const ScanOptions& opts) {
  ScanSink sink{out};
  StreamScanner scanner(PiiDetector::Default(), opts);
  if (!scanner.Run(in, sink)) {
    err << "pii scan: read error\n";
    return 1;
  }
  out.flush();
  if (!out) {
    err << "pii scan: write error\n";
    return 1;
  }
  if (opts.summary) PrintSummary(err, sink.counts);
  return 0;
}

int RunPiiScrub(std::istream& in, std::ostream& out, std::ostream& err, const ScanOptions& opts) {
  StatusOr<PiiScrubber> scrubber = PiiScrubber::Create(opts.policy, opts.pseudonym_key);
  if (!scrubber.ok()) {
    err << "pii scrub: " << scrubber.status().message() << " (set " << kPiiKeyEnvVar << ")\n";
    return 2;
  }
  ScrubSink sink{out, *scrubber};
  StreamScanner scanner(PiiDetector::Default(), opts);
  if (!scanner.Run(in, sink)) {
    err << "pii scrub: read error\n";
    return 1;
  }
  out.flush();
  if (!out) {
    err << "pii scrub: write error\n";
    return 1;
  }
  if (opts.summary) PrintSummary(err, sink.counts);
  return 0;
}

int RunPiiScanPath(std::string_view path, std::ostream& out, std::ostream& err,
                   const ScanOptions& opts) {
  return WithInput(path, "scan", err,
                   [&](std::istream& in) { return RunPiiScan(in, out, err, opts); });
}

int RunPiiScrubPath(std::string_view path, std::ostream& out, std::ostream& err,
                    const ScanOptions& opts) {
  return WithInput(path, "scrub", err,
                   [&](std::istream& in) { return RunPiiScrub(in, out, err, opts); });
}

}  // namespace scriptgen::pii
