// PII scrub throughput on a large, deterministic mix of Korean and English prose in which about
// 1 % of the bytes are personal data of all nine kinds (plus the number-like noise real documents
// have: dates, prices, versions, order numbers).
//
//   build/pii/bench/pii_bench                        # MB/s of Detect and Scrub over 16 MiB
//   PII_BENCH_TEXT=/tmp/pii.txt build/pii/bench/pii_bench   # also writes the text for
//                                                     # bench/pii_baseline.py (pii_compare.sh)
//
// The generator uses std::mt19937_64 (fully specified by the standard), so the text is the same
// on every platform and run.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "pii/pii_detector.h"
#include "pii/pii_scrubber.h"

namespace {

using scriptgen::pii::PiiDetector;
using scriptgen::pii::PiiScrubber;
using scriptgen::pii::ScrubPolicy;

constexpr size_t kTextBytes = 16u << 20;

class Gen {
 public:
  explicit Gen(uint64_t seed) : rng_(seed) {}
  size_t Below(size_t n) { return static_cast<size_t>(rng_() % n); }
  std::string Digits(int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s.push_back(static_cast<char>('0' + Below(10)));
    return s;
  }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[Below(v.size())];
  }

 private:
  std::mt19937_64 rng_;
};

std::string Luhn(std::string body) {
  int sum = 0;
  bool dbl = true;
  for (size_t i = body.size(); i-- > 0;) {
    int v = body[i] - '0';
    if (dbl) v = v * 2 > 9 ? v * 2 - 9 : v * 2;
    sum += v;
    dbl = !dbl;
  }
  body.push_back(static_cast<char>('0' + (10 - sum % 10) % 10));
  return body;
}

// Concatenation by appends (GCC 12 raises a false -Wrestrict on chains of operator+).
template <typename... Parts>
std::string Cat(const Parts&... parts) {
  std::string s;
  (s.append(parts), ...);
  return s;
}

std::string PiiValue(Gen& g) {
  switch (g.Below(9)) {
    case 0:
      return Cat("주민등록번호 9", g.Digits(1), "0", std::to_string(1 + g.Below(9)), "1",
                 std::to_string(g.Below(9)), "-1", g.Digits(6));
    case 1:
      return Cat("mail kim", g.Digits(3), "@example.com");
    case 2:
      return Cat("연락처 010-", g.Digits(4), "-", g.Digits(4));
    case 3: {
      std::string c = Luhn(Cat("4", g.Digits(14)));
      return Cat("card ", c.substr(0, 4), " ", c.substr(4, 4), " ", c.substr(8, 4), " ",
                 c.substr(12));
    }
    case 4:
      return Cat("서버 192.168.", std::to_string(g.Below(256)), ".", std::to_string(g.Below(256)));
    case 5:
      return Cat("https://www.example.org/docs/", g.Digits(5), "?ref=mail");
    case 6:
      return Cat("국민은행 계좌 ", g.Digits(6), "-01-", g.Digits(6));
    case 7:
      return Cat("여권번호 M", g.Digits(8));
    default:
      return Cat("운전면허 1", std::to_string(g.Below(9) + 1), "-", g.Digits(2), "-", g.Digits(6),
                 "-", g.Digits(2));
  }
}

std::string Noise(Gen& g) {
  switch (g.Below(5)) {
    case 0:
      return Cat("2024-0", std::to_string(1 + g.Below(9)), "-1", std::to_string(g.Below(9)));
    case 1:
      return Cat(std::to_string(1 + g.Below(999)), ",000원");
    case 2:
      return Cat("v1.", std::to_string(g.Below(20)), ".", std::to_string(g.Below(20)));
    case 3:
      return Cat("주문번호 ", g.Digits(12));
    default:
      return Cat(std::to_string(g.Below(100)), "%");
  }
}

std::string GenerateText(size_t bytes) {
  static const std::vector<std::string> ko = {
      "오늘 회의에서는 신제품 출시 일정과 마케팅 전략을 논의했습니다",
      "고객 문의가 늘어나면서 상담 인력을 추가로 배치하기로 결정했다",
      "이번 분기 매출은 전년 대비 소폭 상승했으며 비용은 안정적으로 관리되었다",
      "영상 대본의 첫 장면은 서울 도심의 아침 풍경으로 시작합니다",
      "자료를 검토한 뒤 다음 주까지 수정안을 공유해 주시기 바랍니다",
      "프로젝트 일정이 지연되지 않도록 담당자별로 진행 상황을 점검했다"};
  static const std::vector<std::string> en = {
      "The quarterly report shows steady growth across all regions",
      "Please review the attached draft before the meeting on Thursday",
      "Our script generator turns long documents into short video scripts",
      "The team agreed to revisit the onboarding flow after the launch",
      "Customer feedback highlighted the need for clearer pricing pages",
      "We will publish the final version once legal has signed off"};
  Gen g(20240601);
  std::string text;
  text.reserve(bytes + 256);
  size_t pii_bytes = 0;
  while (text.size() < bytes) {
    text += g.Below(2) ? g.Pick(ko) : g.Pick(en);
    size_t roll = g.Below(100);
    if (roll < 3) {
      std::string v = PiiValue(g);
      pii_bytes += v.size();
      text.append(" (").append(v).append(")");
    } else if (roll < 15) {
      text.append(" ").append(Noise(g));
    }
    text += g.Below(6) == 0 ? ".\n" : ". ";
  }
  std::fprintf(stderr, "pii_bench: %zu bytes of text, %.2f %% of them PII\n", text.size(),
               100.0 * static_cast<double>(pii_bytes) / static_cast<double>(text.size()));
  return text;
}

const std::string& BenchText() {
  static const std::string* text = [] {
    auto* t = new std::string(GenerateText(kTextBytes));
    if (const char* path = std::getenv("PII_BENCH_TEXT")) {
      std::ofstream(path, std::ios::binary) << *t;
    }
    return t;
  }();
  return *text;
}

void BM_PiiDetect(benchmark::State& state) {
  const std::string& text = BenchText();
  const PiiDetector& detector = PiiDetector::Default();
  size_t findings = 0;
  for (auto _ : state) {
    auto f = detector.Detect(text);
    findings = f.size();
    benchmark::DoNotOptimize(f.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.counters["findings"] = static_cast<double>(findings);
}
BENCHMARK(BM_PiiDetect)->Unit(benchmark::kMillisecond)->MinTime(2.0);

void BM_PiiScrub(benchmark::State& state) {
  const std::string& text = BenchText();
  PiiScrubber scrubber = std::move(PiiScrubber::Create(ScrubPolicy{}).value());
  uint64_t replaced = 0;
  for (auto _ : state) {
    auto r = scrubber.Scrub(text);
    replaced = r.total();
    benchmark::DoNotOptimize(r.text.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.counters["replaced"] = static_cast<double>(replaced);
}
BENCHMARK(BM_PiiScrub)->Unit(benchmark::kMillisecond)->MinTime(2.0);

}  // namespace

BENCHMARK_MAIN();
