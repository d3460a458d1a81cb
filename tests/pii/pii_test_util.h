// Helpers shared by the PII tests: synthetic values that pass the validators, and a compact way
// to ask "which kinds were found where".
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "pii/pii_detector.h"

namespace scriptgen::pii::testing_util {

// Appends the RRN check digit to 12 digits.
inline std::string WithRrnCheck(std::string twelve) {
  static constexpr int kW[] = {2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5};
  int sum = 0;
  for (int i = 0; i < 12; ++i) sum += (twelve[i] - '0') * kW[i];
  twelve.push_back(static_cast<char>('0' + (11 - sum % 11) % 10));
  return twelve;
}

// Appends the Luhn check digit.
inline std::string WithLuhn(std::string digits) {
  int sum = 0;
  bool dbl = true;
  for (size_t i = digits.size(); i-- > 0;) {
    int v = digits[i] - '0';
    if (dbl) {
      v *= 2;
      if (v > 9) v -= 9;
    }
    sum += v;
    dbl = !dbl;
  }
  digits.push_back(static_cast<char>('0' + (10 - sum % 10) % 10));
  return digits;
}

struct Found {
  std::string kind;
  std::string value;
  friend bool operator==(const Found&, const Found&) = default;
};

inline std::vector<Found> FindAll(std::string_view text) {
  std::vector<Found> out;
  for (const PiiFinding& f : PiiDetector::Default().Detect(text)) {
    out.push_back(
        {std::string(PiiKindName(f.kind)), std::string(text.substr(f.start, f.end - f.start))});
  }
  return out;
}

inline std::ostream& operator<<(std::ostream& os, const Found& f) {
  return os << f.kind << ":" << f.value;
}

}  // namespace scriptgen::pii::testing_util
