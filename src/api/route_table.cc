#include "api/route_table.h"

#include <algorithm>
#include <variant>

#include "auth/access_control.h"
#include "obs/logger.h"
#include "obs/service_metrics.h"
#include "obs/trace_context.h"
#include "util/rate_limiter.h"

namespace scriptgen::api {
namespace {

bool Allows(const auth::Principal& p, Access access) {
  switch (access) {
    case Access::kRead:
      return true;
    case Access::kWrite:
      return p.can_write();
    case Access::kAdmin:
      return p.is_admin();
  }
  return false;
}

std::string_view AccessName(Access access) {
  switch (access) {
    case Access::kRead:
      return "reader";
    case Access::kWrite:
      return "writer";
    case Access::kAdmin:
      return "admin";
  }
  return "admin";
}

http::Response Unauthorized(std::string_view message, bool token_given) {
  http::Response r = http::ErrorResponse(401, "unauthenticated", message);
  r.headers.emplace_back("WWW-Authenticate",
                         token_given ? "Bearer error=\"invalid_token\"" : "Bearer");
  return r;
}

// The principal, or the response that refuses the request.
std::variant<auth::Principal, http::Response> Admit(const ApiServices& services,
                                                    const http::Request& req, Access access) {
  const std::optional<std::string> header = req.Header("Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (!header || header->size() <= kBearer.size() ||
      header->compare(0, kBearer.size(), kBearer) != 0) {
    return Unauthorized("missing 'Authorization: Bearer <token>' header", false);
  }
  StatusOr<auth::Principal> who =
      services.access->Authenticate(std::string_view(*header).substr(kBearer.size()));
  if (!who.ok()) {
    if (who.status().code() == Code::kUnauthenticated) {
      return Unauthorized(who.status().message(), true);
    }
    return http::ErrorResponse(who.status());
  }
  if (!Allows(*who, access)) {
    return http::ErrorResponse(403, "permission_denied",
                               "this request needs the " + std::string(AccessName(access)) +
                                   " role; the token has the " +
                                   std::string(auth::RoleName(who->role)) + " role");
  }
  // Operators (admin tokens) are not rate limited: they run migrations and load tests.
  if (services.rate_limiter != nullptr && !who->is_admin()) {
    if (std::optional<std::chrono::milliseconds> wait =
            services.rate_limiter->Acquire(who->token_id)) {
      const int64_t seconds = std::max<int64_t>(1, (wait->count() + 999) / 1000);
      http::Response r = http::ErrorResponse(
          429, "rate_limited",
          "too many requests for this token; retry in " + std::to_string(seconds) + " s");
      r.headers.emplace_back("Retry-After", std::to_string(seconds));
      return r;
    }
  }
  return *std::move(who);
}

// The trace context of a request: the caller's traceparent / X-Request-Id / X-Correlation-Id, or
// new ones. Installed as the thread's log context while the request is handled, so every log
// line (and every job the request creates, see the upload route) carries the same ids.
obs::RequestIds IdsOf(const http::Request& req) {
  std::optional<std::string> traceparent = req.Header("traceparent");
  std::optional<std::string> correlation = req.Header("X-Correlation-Id");
  return obs::RequestIds::FromHeaders(
      traceparent ? std::optional<std::string_view>(*traceparent) : std::nullopt, req.request_id,
      correlation ? std::optional<std::string_view>(*correlation) : std::nullopt);
}

void AddTraceHeaders(http::Response& r, const obs::RequestIds& ids) {
  r.headers.emplace_back("traceparent", ids.ResponseTraceparent());
  r.headers.emplace_back("X-Correlation-Id", ids.correlation_id);
}

void LogRequest(const http::Request& req, const std::string& pattern, int status,
                std::chrono::steady_clock::time_point start, std::string_view token_id) {
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  obs::Logger& log = obs::Logger::Global();
  const obs::LogLevel level = status >= 500   ? obs::LogLevel::kError
                              : status >= 400 ? obs::LogLevel::kWarn
                                              : obs::LogLevel::kInfo;
  log.Log(level, "request",
          {{"method", req.method},
           {"route", pattern},
           {"status", status},
           {"duration_ms", ms},
           {"caller", token_id},  // the token's public id ("token" fields are redacted)
           {"remote", req.remote_address}});
}

// Counts a /v1 request in http_requests_in_flight while its handler runs.
class InFlight {
 public:
  explicit InFlight(obs::ServiceMetrics* m) : m_(m) {
    if (m_ != nullptr) m_->http_requests_in_flight.Add(1);
  }
  ~InFlight() {
    if (m_ != nullptr) m_->http_requests_in_flight.Add(-1);
  }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;

 private:
  obs::ServiceMetrics* const m_;
};

}  // namespace

std::string_view AccessLevelName(Access access) {
  return AccessName(access);
}

void RouteTable::Add(std::string method, std::string pattern, Access access, AuthedHandler handler,
                     http::RouteOptions options) {
  policies_.push_back({method, pattern, access});
  router_.Add(
      std::move(method), pattern,
      [services = services_, access, pattern,
       h = std::move(handler)](http::Request& req) -> http::Response {
        const auto start = std::chrono::steady_clock::now();
        const obs::RequestIds ids = IdsOf(req);
        obs::ScopedLogContext scope(ids.LogContext(), obs::ScopedLogContext::Mode::kReplace);
        std::variant<auth::Principal, http::Response> admitted = Admit(services, req, access);
        InFlight in_flight(services.metrics);
        http::Response r;
        std::string token_id;
        if (auto* refused = std::get_if<http::Response>(&admitted)) {
          r = std::move(*refused);
        } else {
          token_id = std::get<auth::Principal>(admitted).token_id;
          r = h(req, std::get<auth::Principal>(admitted));
        }
        AddTraceHeaders(r, ids);
        LogRequest(req, pattern, r.status, start, token_id);
        return r;
      },
      options);
}

void RouteTable::AddSse(std::string pattern, Access access, AuthedSseHandler handler) {
  policies_.push_back({"GET", pattern, access});
  router_.AddSse(
      pattern,
      [services = services_, access, pattern, h = std::move(handler)](
          http::Request& req,
          std::shared_ptr<http::SseStream> stream) -> std::optional<http::Response> {
        const auto start = std::chrono::steady_clock::now();
        const obs::RequestIds ids = IdsOf(req);
        obs::ScopedLogContext scope(ids.LogContext(), obs::ScopedLogContext::Mode::kReplace);
        std::variant<auth::Principal, http::Response> admitted = Admit(services, req, access);
        std::optional<http::Response> refusal;
        std::string token_id;
        if (auto* refused = std::get_if<http::Response>(&admitted)) {
          refusal = std::move(*refused);
        } else {
          token_id = std::get<auth::Principal>(admitted).token_id;
          refusal = h(req, std::get<auth::Principal>(admitted), std::move(stream));
        }
        if (refusal) AddTraceHeaders(*refusal, ids);
        LogRequest(req, pattern, refusal ? refusal->status : 200, start, token_id);
        return refusal;
      });
}

}  // namespace scriptgen::api
