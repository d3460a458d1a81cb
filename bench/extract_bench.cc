// Extraction throughput on the committed fixtures: PDF pages per second (poppler-cpp), and MB/s
// for DOCX, HTML and CP949 text. Single thread; run with --benchmark_repetitions for spread.
//   build/release/bench/extract_bench
#include <benchmark/benchmark.h>

#include <fstream>
#include <iterator>
#include <string>

#include "extract/extractor.h"
#include "extract/file_security_validator.h"

namespace {

std::string Fixture(const std::string& name) {
  std::ifstream in(std::string(SG_DOCUMENT_FIXTURES) + "/good/" + name, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void BM_ExtractPdf(benchmark::State& state, const std::string& name) {
  const std::string pdf = Fixture(name);
  int pages = 0;
  for (auto _ : state) {
    auto text = scriptgen::extract::ExtractPdf(pdf, {});
    if (!text.ok()) {
      state.SkipWithError(text.status().ToString().c_str());
      return;
    }
    pages += text->page_count;
    benchmark::DoNotOptimize(text->text.data());
  }
  state.counters["pages/s"] = benchmark::Counter(pages, benchmark::Counter::kIsRate);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * pdf.size()));
}

void BM_Extract(benchmark::State& state, const std::string& name, const std::string& mime) {
  const std::string bytes = Fixture(name);
  for (auto _ : state) {
    auto text = scriptgen::extract::Extract(mime, bytes, {});
    if (!text.ok()) {
      state.SkipWithError(text.status().ToString().c_str());
      return;
    }
    benchmark::DoNotOptimize(text->text.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes.size()));
}

void BM_Validate(benchmark::State& state, const std::string& name) {
  const std::string bytes = Fixture(name);
  const scriptgen::extract::FileSecurityValidator validator;
  for (auto _ : state) {
    auto r = validator.Validate(bytes, "", name);
    benchmark::DoNotOptimize(r.ok());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes.size()));
}

BENCHMARK_CAPTURE(BM_ExtractPdf, english_pdf, std::string("english.pdf"));
BENCHMARK_CAPTURE(BM_ExtractPdf, korean_pdf, std::string("korean.pdf"));
BENCHMARK_CAPTURE(BM_Extract, docx, std::string("report.docx"),
                  std::string(scriptgen::extract::kMimeDocx));
BENCHMARK_CAPTURE(BM_Extract, html, std::string("page.html"), std::string("text/html"));
BENCHMARK_CAPTURE(BM_Extract, cp949_text, std::string("korean_cp949.txt"),
                  std::string("text/plain"));
BENCHMARK_CAPTURE(BM_Validate, pdf, std::string("english.pdf"));
BENCHMARK_CAPTURE(BM_Validate, docx, std::string("report.docx"));

}  // namespace

BENCHMARK_MAIN();
