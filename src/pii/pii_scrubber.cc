// PII scrubbing: detection, then one linear rebuild of the text.
//
// The output is built in one pass (copy the gap before each finding, append its replacement), so
// scrubbing costs one detection scan plus one copy. Operators work on the matched bytes in place
// and never keep them beyond the call.
//
// Pseudonyms: HMAC-SHA256 over "kind \0 normalised value" with the server key. The kind is part of
// the message so the same digits as a phone and as an account give unrelated tokens. The token is
// truncated to 32 bits: enough to tell the people in one corpus apart (collisions become likely
// only around 65,000 distinct values of one kind), short enough to read; the key, not the token
// length, is what prevents brute force over small spaces such as phone numbers.
#include "pii/pii_scrubber.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cctype>

#include "pii/validators.h"

namespace scriptgen::pii {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::optional<PiiOperator> ParseOperator(std::string_view name) {
  for (PiiOperator op : {PiiOperator::kPlaceholder, PiiOperator::kMask, PiiOperator::kPseudonym,
                         PiiOperator::kRedact}) {
    if (PiiOperatorName(op) == name) return op;
  }
  return std::nullopt;
}

// Digits only for numeric kinds, lower case for the case-insensitive ones, as-is otherwise.
std::string Normalise(PiiKind kind, std::string_view value) {
  switch (kind) {
    case PiiKind::kRrn:
    case PiiKind::kPhone:
    case PiiKind::kCreditCard:
    case PiiKind::kBankAccount:
    case PiiKind::kDriverLicense: {
      std::string digits = validate::DigitsOf(value);
      if (!digits.empty()) return digits;
      return std::string(value);
    }
    case PiiKind::kEmail:
    case PiiKind::kIp:
    case PiiKind::kPassport: {
      std::string out(value);
      for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return out;
    }
    case PiiKind::kUrl:
      break;
  }
  return std::string(value);
}

void AppendMask(std::string_view value, std::string* out) {
  for (size_t i = 0; i < value.size();) {
    unsigned char c = static_cast<unsigned char>(value[i]);
    if (c < 0x80) {
      out->push_back(validate::IsAsciiAlnum(static_cast<char>(c)) ? '*' : static_cast<char>(c));
      ++i;
      continue;
    }
    // One '*' per UTF-8 sequence (lead byte plus continuation bytes).
    out->push_back('*');
    ++i;
    while (i < value.size() && (static_cast<unsigned char>(value[i]) & 0xC0) == 0x80) ++i;
  }
}

}  // namespace

std::string_view PiiOperatorName(PiiOperator op) {
  switch (op) {
    case PiiOperator::kPlaceholder:
      return "placeholder";
    case PiiOperator::kMask:
      return "mask";
    case PiiOperator::kPseudonym:
      return "pseudonym";
    case PiiOperator::kRedact:
      return "redact";
  }
  return "unknown";
}

bool ScrubPolicy::Uses(PiiOperator o) const {
  for (PiiOperator x : op) {
    if (x == o) return true;
  }
  return false;
}

StatusOr<ScrubPolicy> ParseScrubPolicy(std::string_view spec) {
  ScrubPolicy policy;
  std::array<bool, kPiiKindCount> seen{};
  spec = Trim(spec);
  if (spec.empty()) return policy;
  size_t pos = 0;
  while (pos <= spec.size()) {
    size_t comma = spec.find(',', pos);
    std::string_view entry = Trim(
        spec.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos));
    pos = comma == std::string_view::npos ? spec.size() + 1 : comma + 1;
    if (entry.empty())
      return InvalidArgument("PII policy has an empty entry: '" + std::string(spec) + "'");
    size_t eq = entry.find('=');
    if (eq == std::string_view::npos) {
      return InvalidArgument("PII policy entry '" + std::string(entry) + "' is not kind=operator");
    }
    std::string_view kind_name = Trim(entry.substr(0, eq));
    std::string_view op_name = Trim(entry.substr(eq + 1));
    std::optional<PiiOperator> op = ParseOperator(op_name);
    if (!op) {
      return InvalidArgument("unknown PII operator '" + std::string(op_name) + "' in '" +
                             std::string(entry) +
                             "' (known: placeholder, mask, pseudonym, redact)");
    }
    if (kind_name == "all") {
      policy.op.fill(*op);
      continue;
    }
    std::optional<PiiKind> kind = ParsePiiKind(kind_name);
    if (!kind) {
      return InvalidArgument("unknown PII kind '" + std::string(kind_name) + "' in '" +
                             std::string(entry) + "' (known: all, " +
                             std::string(PiiKindNameList()) + ")");
    }
    if (seen[Index(*kind)]) {
      return InvalidArgument("PII kind '" + std::string(kind_name) +
                             "' appears twice in the policy");
    }
    seen[Index(*kind)] = true;
    policy[*kind] = *op;
  }
  return policy;
}

std::string FormatScrubPolicy(const ScrubPolicy& policy) {
  std::string out;
  for (PiiKind kind : kAllPiiKinds) {
    if (!out.empty()) out += ',';
    out += PiiKindName(kind);
    out += '=';
    out += PiiOperatorName(policy[kind]);
  }
  return out;
}

uint64_t ScrubResult::total() const {
  uint64_t sum = 0;
  for (uint64_t c : counts) sum += c;
  return sum;
}

std::string PseudonymToken(std::string_view key, PiiKind kind, std::string_view value) {
  std::string message(PiiKindName(kind));
  message.push_back('\0');
  message += Normalise(kind, value);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &mac_len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string token;
  for (int i = 0; i < 4; ++i) {
    token.push_back(kHex[mac[i] >> 4]);
    token.push_back(kHex[mac[i] & 15]);
  }
  return token;
}

StatusOr<PiiScrubber> PiiScrubber::Create(const ScrubPolicy& policy, std::string pseudonym_key,
                                          const PiiDetector& detector) {
  if (policy.Uses(PiiOperator::kPseudonym) && pseudonym_key.size() < kMinKeyBytes) {
    return InvalidArgument("the pseudonym operator needs a server key of at least " +
                           std::to_string(kMinKeyBytes) + " bytes");
  }
  return PiiScrubber(policy, std::move(pseudonym_key), detector);
}

void PiiScrubber::AppendReplacement(std::string_view text, const PiiFinding& f,
                                    std::string* out) const {
  std::string_view value = text.substr(f.start, f.end - f.start);
  switch (policy_[f.kind]) {
    case PiiOperator::kPlaceholder:
      out->push_back('<');
      out->append(PiiKindTag(f.kind));
      out->push_back('>');
      return;
    case PiiOperator::kMask:
      AppendMask(value, out);
      return;
    case PiiOperator::kPseudonym:
      out->push_back('<');
      out->append(PiiKindTag(f.kind));
      out->push_back(':');
      out->append(PseudonymToken(key_, f.kind, value));
      out->push_back('>');
      return;
    case PiiOperator::kRedact:
      return;
  }
}

ScrubResult PiiScrubber::Scrub(std::string_view text) const {
  ScrubResult result;
  std::vector<PiiFinding> findings = detector_->Detect(text);
  result.text.reserve(text.size());
  size_t copied = 0;
  for (const PiiFinding& f : findings) {
    result.text.append(text.substr(copied, f.start - copied));
    AppendReplacement(text, f, &result.text);
    ++result.counts[Index(f.kind)];
    copied = f.end;
  }
  result.text.append(text.substr(copied));
  return result;
}

}  // namespace scriptgen::pii
