// Internal to sg_extract: installs, once per process, a poppler-cpp debug/error handler that
// discards poppler's messages (by default poppler prints every syntax error of a damaged PDF to
// stderr, which would flood the server log with attacker-chosen text). Call before any poppler use.
#pragma once

namespace scriptgen::extract::internal {

void QuietPoppler();

}  // namespace scriptgen::extract::internal
