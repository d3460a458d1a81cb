// Principal: who is making a request, as established by AccessControlManager::Authenticate, and
// what the roles allow (R-S5).
//
//   admin   everything, every subject's data
//   writer  upload, delete and search the data of its own subject
//   reader  search and read the data of its own subject
//
// Every non-admin principal is bound to exactly one subject; use cases filter by it, and report
// another subject's objects as absent (404), never as forbidden, so ids cannot be probed.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace scriptgen::auth {

enum class Role { kReader = 0, kWriter = 1, kAdmin = 2 };

std::string_view RoleName(Role role);
std::optional<Role> ParseRole(std::string_view name);

struct Principal {
  Role role = Role::kReader;
  std::string subject_id;  // empty for admins: they are not bound to a subject
  std::string token_id;    // "admin" for the bootstrap admin token

  bool is_admin() const { return role == Role::kAdmin; }
  bool can_write() const { return role != Role::kReader; }
  // The subject whose data this principal may see; nullopt = every subject (admin).
  std::optional<std::string> subject_scope() const {
    if (is_admin()) return std::nullopt;
    return subject_id;
  }
  // True if this principal may see data of `subject`.
  bool CanSee(std::string_view subject) const { return is_admin() || subject == subject_id; }
};

}  // namespace scriptgen::auth
