// Precision and recall of PiiDetector per kind over the labelled corpus in tests/pii/corpus/
// (format and generator: corpus/make_corpus.py). A finding counts as a true positive only when
// kind, start and end all equal a labelled span; anything else is a false positive, and every
// labelled span not found exactly is a false negative. The bar: recall >= 0.99 and precision >=
// 0.97 for every kind.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <tuple>

#include "pii/pii_detector.h"

namespace scriptgen::pii {
namespace {

struct Tally {
  int tp = 0, fp = 0, fn = 0;
  double precision() const { return tp + fp == 0 ? 1.0 : static_cast<double>(tp) / (tp + fp); }
  double recall() const { return tp + fn == 0 ? 1.0 : static_cast<double>(tp) / (tp + fn); }
};

TEST(PiiCorpus, PrecisionAndRecallPerKind) {
  std::ifstream in(std::string(PII_CORPUS_DIR) + "/pii_corpus.jsonl");
  ASSERT_TRUE(in) << "missing corpus in " << PII_CORPUS_DIR;
  std::array<Tally, kPiiKindCount> tally{};
  int records = 0, negatives = 0;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    ++records;
    boost::json::object rec = boost::json::parse(line).as_object();
    std::string text(rec.at("text").as_string());
    std::string id(rec.at("id").as_string());
    std::set<std::tuple<PiiKind, size_t, size_t>> expected;
    for (const boost::json::value& v : rec.at("spans").as_array()) {
      const boost::json::object& s = v.as_object();
      std::optional<PiiKind> kind = ParsePiiKind(std::string(s.at("kind").as_string()));
      ASSERT_TRUE(kind.has_value()) << id;
      expected.insert({*kind, static_cast<size_t>(s.at("start").as_int64()),
                       static_cast<size_t>(s.at("end").as_int64())});
    }
    if (expected.empty()) ++negatives;
    std::set<std::tuple<PiiKind, size_t, size_t>> found;
    for (const PiiFinding& f : PiiDetector::Default().Detect(text)) {
      found.insert({f.kind, f.start, f.end});
      if (expected.count({f.kind, f.start, f.end})) {
        ++tally[Index(f.kind)].tp;
      } else {
        ++tally[Index(f.kind)].fp;
        ADD_FAILURE() << "false positive " << PiiKindName(f.kind) << " in " << id << ": '"
                      << text.substr(f.start, f.end - f.start) << "' in: " << text;
      }
    }
    for (const auto& [kind, start, end] : expected) {
      if (!found.count({kind, start, end})) {
        ++tally[Index(kind)].fn;
        ADD_FAILURE() << "missed " << PiiKindName(kind) << " in " << id << ": '"
                      << text.substr(start, end - start) << "' in: " << text;
      }
    }
  }
  EXPECT_GE(negatives, 300);
  std::printf("\nPII corpus: %d records, %d hard negatives\n", records, negatives);
  std::printf("%-16s %6s %6s %6s %10s %8s\n", "kind", "tp", "fp", "fn", "precision", "recall");
  for (PiiKind kind : kAllPiiKinds) {
    const Tally& t = tally[Index(kind)];
    std::printf("%-16s %6d %6d %6d %10.3f %8.3f\n", std::string(PiiKindName(kind)).c_str(), t.tp,
                t.fp, t.fn, t.precision(), t.recall());
    EXPECT_GE(t.tp + t.fn, 20) << PiiKindName(kind) << " has too few labelled spans";
    EXPECT_GE(t.recall(), 0.99) << PiiKindName(kind);
    EXPECT_GE(t.precision(), 0.97) << PiiKindName(kind);
  }
}

}  // namespace
}  // namespace scriptgen::pii
