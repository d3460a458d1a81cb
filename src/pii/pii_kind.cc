// Name tables of PiiKind. Plain switch statements rather than a map: the compiler checks that
// every kind has a name, and lookups allocate nothing.
#include "pii/pii_kind.h"

namespace scriptgen::pii {

std::string_view PiiKindName(PiiKind kind) {
  switch (kind) {
    case PiiKind::kRrn:
      return "rrn";
    case PiiKind::kEmail:
      return "email";
    case PiiKind::kPhone:
      return "phone";
    case PiiKind::kCreditCard:
      return "credit_card";
    case PiiKind::kIp:
      return "ip";
    case PiiKind::kUrl:
      return "url";
    case PiiKind::kBankAccount:
      return "bank_account";
    case PiiKind::kPassport:
      return "passport";
    case PiiKind::kDriverLicense:
      return "driver_license";
  }
  return "unknown";
}

std::string_view PiiKindTag(PiiKind kind) {
  switch (kind) {
    case PiiKind::kRrn:
      return "RRN";
    case PiiKind::kEmail:
      return "EMAIL";
    case PiiKind::kPhone:
      return "PHONE";
    case PiiKind::kCreditCard:
      return "CREDIT_CARD";
    case PiiKind::kIp:
      return "IP";
    case PiiKind::kUrl:
      return "URL";
    case PiiKind::kBankAccount:
      return "BANK_ACCOUNT";
    case PiiKind::kPassport:
      return "PASSPORT";
    case PiiKind::kDriverLicense:
      return "DRIVER_LICENSE";
  }
  return "UNKNOWN";
}

std::optional<PiiKind> ParsePiiKind(std::string_view name) {
  for (PiiKind kind : kAllPiiKinds) {
    if (PiiKindName(kind) == name) return kind;
  }
  return std::nullopt;
}

std::string_view PiiKindNameList() {
  return "rrn, email, phone, credit_card, ip, url, bank_account, passport, driver_license";
}

}  // namespace scriptgen::pii
