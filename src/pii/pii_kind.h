// PiiKind: the nine kinds of personal data scriptgen detects and scrubs (R-S2), with their stable
// external names ("rrn", "email", ...) and placeholder tags ("<RRN>", "<EMAIL>", ...).
//
// The names are part of the public contract: they appear in `scriptgen pii scan` output, in scrub
// policies ("email=mask,phone=pseudonym") and in recorded per-kind counts. Never rename one.
//
//   for (PiiKind k : kAllPiiKinds) std::cout << PiiKindName(k) << ": " << counts[Index(k)];
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace scriptgen::pii {

enum class PiiKind : uint8_t {
  kRrn = 0,        // Korean resident registration number (주민등록번호)
  kEmail,          // e-mail address
  kPhone,          // Korean or international telephone number
  kCreditCard,     // payment card number (Luhn-valid, known issuer range)
  kIp,             // IPv4 or IPv6 address
  kUrl,            // http/https/ftp or www. URL
  kBankAccount,    // bank account number (only next to banking context words)
  kPassport,       // Korean passport number (only next to passport context words)
  kDriverLicense,  // Korean driver's licence number (only next to licence context words)
};

inline constexpr size_t kPiiKindCount = 9;

inline constexpr std::array<PiiKind, kPiiKindCount> kAllPiiKinds = {
    PiiKind::kRrn, PiiKind::kEmail,       PiiKind::kPhone,    PiiKind::kCreditCard,   PiiKind::kIp,
    PiiKind::kUrl, PiiKind::kBankAccount, PiiKind::kPassport, PiiKind::kDriverLicense};

constexpr size_t Index(PiiKind kind) {
  return static_cast<size_t>(kind);
}

// Per-kind counters, indexed by Index(kind).
using PiiCounts = std::array<uint64_t, kPiiKindCount>;

// "rrn", "email", "phone", "credit_card", "ip", "url", "bank_account", "passport",
// "driver_license".
std::string_view PiiKindName(PiiKind kind);
// "RRN", "EMAIL", ..., "DRIVER_LICENSE": the tag used inside placeholders and pseudonyms.
std::string_view PiiKindTag(PiiKind kind);
// Inverse of PiiKindName (exact, lower case). nullopt for an unknown name.
std::optional<PiiKind> ParsePiiKind(std::string_view name);
// "rrn, email, ..." for error messages.
std::string_view PiiKindNameList();

}  // namespace scriptgen::pii
