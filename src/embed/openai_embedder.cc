// The provider call is a small state machine per sub-request: acquire from the rate limiter, send,
// classify the answer, then succeed, fail, or wait and go round again. Waits are spent where every
// thread can see them: a Retry-After becomes a pause of the shared limiter (so the next Acquire of
// *every* caller waits), and only private backoff (5xx, timeouts) sleeps in this thread.
//
// The retry budget is measured from the start of the call and checked before each wait, not after:
// a Retry-After longer than what is left fails the call at once (after pausing the limiter for
// everybody) instead of sleeping into a certain failure. The job's own retry policy then retries
// the whole step later, which is the right place for waits measured in minutes.
//
// Time comes from the rate limiter's Clock and sleeping goes through the limiter too, so a test
// with a ManualClock and a sleep hook runs the whole retry logic without real waits.
//
// The request body is built once per sub-request and reused across attempts. Vectors are parsed
// straight into the caller's output rows: no intermediate copies for the common case where no
// input is blank.
#include "embed/openai_embedder.h"

#include <boost/json.hpp>
#include <cctype>
#include <cmath>
#include <ctime>
#include <random>

#include "obs/service_metrics.h"

namespace scriptgen::embed {
namespace {

namespace json = boost::json;
using std::chrono::milliseconds;

bool IsBlank(const std::string& text) {
  for (char c : text) {
    if (!std::isspace(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

milliseconds Backoff(const OpenAiEmbedderOptions& o, int attempt) {
  thread_local std::mt19937 rng{std::random_device{}()};
  double base = static_cast<double>(o.initial_backoff.count());
  for (int i = 1; i < attempt && base < static_cast<double>(o.max_backoff.count()); ++i) base *= 2;
  base = std::min(base, static_cast<double>(o.max_backoff.count()));
  std::uniform_real_distribution<double> jitter(0.8, 1.2);
  return milliseconds(static_cast<int64_t>(base * jitter(rng)));
}

std::string Millis(milliseconds d) {
  if (d.count() >= 1000 && d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + " s";
  return std::to_string(d.count()) + " ms";
}

// What an error answer says: {"error": {"message": ...}} (OpenAI, vLLM), {"error": "..."} (Ollama,
// TEI), or the start of the body. Printable ASCII only, at most 300 bytes.
std::string ProviderMessage(const std::string& body) {
  std::string msg;
  json::error_code ec;
  json::value v = json::parse(body, ec);
  if (!ec && v.is_object()) {
    const json::object& o = v.get_object();
    if (const json::value* e = o.if_contains("error")) {
      if (e->is_string()) {
        msg = std::string(e->get_string());
      } else if (e->is_object()) {
        if (const json::value* m = e->get_object().if_contains("message"); m && m->is_string()) {
          msg = std::string(m->get_string());
        }
      }
    }
    if (msg.empty()) {
      if (const json::value* m = o.if_contains("message"); m && m->is_string()) {
        msg = std::string(m->get_string());
      }
    }
  }
  if (msg.empty()) msg = body;
  if (msg.size() > 300) msg = msg.substr(0, 300) + "...";
  for (char& c : msg) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return msg;
}

}  // namespace

std::optional<milliseconds> ParseRetryAfter(std::string_view value, int64_t now_ms) {
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front()))) {
    value.remove_prefix(1);
  }
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back()))) {
    value.remove_suffix(1);
  }
  if (value.empty()) return std::nullopt;
  if (std::isdigit(static_cast<unsigned char>(value.front()))) {
    // Delta seconds. The standard says an integer; some servers send decimals, accept those.
    double seconds = 0;
    double scale = 0;
    for (char c : value) {
      if (c == '.' && scale == 0) {
        scale = 0.1;
      } else if (std::isdigit(static_cast<unsigned char>(c))) {
        if (scale == 0) {
          seconds = seconds * 10 + (c - '0');
        } else {
          seconds += scale * (c - '0');
          scale /= 10;
        }
      } else {
        return std::nullopt;
      }
    }
    seconds = std::min(seconds, 7.0 * 24 * 3600);
    return milliseconds(static_cast<int64_t>(std::ceil(seconds * 1000)));
  }
  // HTTP date (IMF-fixdate), e.g. "Wed, 21 Oct 2015 07:28:00 GMT".
  std::tm tm{};
  const std::string text(value);
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  const int64_t at_ms = static_cast<int64_t>(timegm(&tm)) * 1000;
  return milliseconds(std::max<int64_t>(0, at_ms - now_ms));
}

StatusOr<std::unique_ptr<OpenAiEmbedder>> OpenAiEmbedder::Create(OpenAiEmbedderOptions options) {
  if (options.model.empty()) return InvalidArgument("embedding model name is required");
  if (options.dimension == 0 || options.dimension > 65536) {
    return InvalidArgument("embedding dimension must be 1..65536, got " +
                           std::to_string(options.dimension));
  }
  if (options.max_attempts < 1) return InvalidArgument("max_attempts must be at least 1");
  if (options.timeout.count() <= 0) return InvalidArgument("embedding timeout must be positive");
  if (options.max_inputs_per_request == 0) {
    return InvalidArgument("max_inputs_per_request must be at least 1");
  }
  StatusOr<HttpEndpoint> endpoint = ParseBaseUrl(options.base_url);
  if (!endpoint.ok()) return endpoint.status();
  StatusOr<std::unique_ptr<EmbeddingHttpClient>> http = EmbeddingHttpClient::Create(
      *endpoint, {.ca_file = options.ca_file,
                  .timeout = options.timeout,
                  .max_idle_connections = options.max_idle_connections});
  if (!http.ok()) return http.status();
  if (!options.rate_limiter) options.rate_limiter = std::make_shared<EmbeddingRateLimiter>();
  return std::unique_ptr<OpenAiEmbedder>(new OpenAiEmbedder(std::move(options), std::move(*http)));
}

OpenAiEmbedder::OpenAiEmbedder(OpenAiEmbedderOptions options,
                               std::unique_ptr<EmbeddingHttpClient> http)
    : options_(std::move(options)), http_(std::move(http)) {
  version_ = !options_.version.empty()
                 ? options_.version
                 : "openai:" + options_.model + ":" + std::to_string(options_.dimension);
}

OpenAiEmbedder::~OpenAiEmbedder() = default;

void OpenAiEmbedder::Shutdown() {
  stop_.request_stop();
}

std::string OpenAiEmbedder::Scrub(std::string text) const {
  const std::string& key = options_.api_key;
  if (key.empty()) return text;
  for (size_t at = text.find(key); at != std::string::npos; at = text.find(key, at)) {
    text.replace(at, key.size(), "[redacted]");
  }
  return text;
}

Status OpenAiEmbedder::Embed(std::span<const std::string> texts, std::vector<float>* out) {
  const size_t dim = options_.dimension;
  out->assign(texts.size() * dim, 0.0f);
  if (stop_.stop_requested()) return Unavailable("embedding provider client is shutting down");

  std::vector<size_t> sendable;  // indices of texts that are not blank
  sendable.reserve(texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    if (!IsBlank(texts[i])) sendable.push_back(i);
  }
  const size_t step = options_.max_inputs_per_request;
  if (sendable.size() == texts.size()) {
    for (size_t begin = 0; begin < texts.size(); begin += step) {
      const size_t n = std::min(step, texts.size() - begin);
      SG_RETURN_IF_ERROR(EmbedRequest(texts.subspan(begin, n), out->data() + begin * dim));
    }
    return Status::Ok();
  }
  // Some inputs are blank: send the others and scatter their rows back into place.
  std::vector<std::string> batch;
  std::vector<float> rows;
  for (size_t begin = 0; begin < sendable.size(); begin += step) {
    const size_t n = std::min(step, sendable.size() - begin);
    batch.clear();
    for (size_t k = 0; k < n; ++k) batch.push_back(texts[sendable[begin + k]]);
    rows.assign(n * dim, 0.0f);
    SG_RETURN_IF_ERROR(EmbedRequest(batch, rows.data()));
    for (size_t k = 0; k < n; ++k) {
      std::copy_n(rows.data() + k * dim, dim, out->data() + sendable[begin + k] * dim);
    }
  }
  return Status::Ok();
}

Status OpenAiEmbedder::EmbedRequest(std::span<const std::string> texts, float* out) {
  json::object request;
  request["model"] = options_.model;
  json::array input;
  input.reserve(texts.size());
  for (const std::string& t : texts) input.emplace_back(t);
  request["input"] = std::move(input);
  if (options_.send_dimensions) request["dimensions"] = options_.dimension;
  const std::string body = json::serialize(request);

  EmbeddingHttpClient::Headers headers;
  if (!options_.api_key.empty())
    headers.emplace_back("Authorization", "Bearer " + options_.api_key);

  EmbeddingRateLimiter& limiter = *options_.rate_limiter;
  const Clock* clock = limiter.clock();
  const double tokens = static_cast<double>(EstimateTokens(texts));
  const int64_t give_up_ms = clock->NowMs() + options_.retry_budget.count();
  const std::string origin = http_->endpoint().Origin();

  auto count = [this](std::string_view outcome, std::chrono::steady_clock::duration took) {
    if (options_.metrics == nullptr) return;
    options_.metrics->embedding_api_calls_total.WithLabels({"openai", outcome}).Inc();
    options_.metrics->embedding_api_duration_seconds.WithLabels({"openai"})
        .Observe(std::chrono::duration<double>(took).count());
  };

  Status last;
  int attempt = 1;
  for (;; ++attempt) {
    const int64_t now = clock->NowMs();
    const Status acquired = limiter.Acquire(
        1, tokens, milliseconds(std::max<int64_t>(0, give_up_ms - now)), stop_.get_token());
    if (!acquired.ok()) {
      if (last.ok() || acquired.code() != Code::kResourceExhausted) return acquired;
      break;  // cannot wait out the pause within the budget: report why we were waiting
    }

    const auto sent = std::chrono::steady_clock::now();
    StatusOr<HttpReply> reply = http_->PostJson("/embeddings", headers, body);
    const auto took = std::chrono::steady_clock::now() - sent;

    std::optional<milliseconds> wait;  // how long the provider asked everybody to wait
    if (!reply.ok()) {
      const Code code = reply.status().code();
      count(code == Code::kDeadlineExceeded  ? "timeout"
            : code == Code::kUnauthenticated ? "error"
                                             : "unavailable",
            took);
      last = reply.status();
      if (code == Code::kUnauthenticated || code == Code::kInvalidArgument ||
          code == Code::kInternal) {
        return last;  // configuration problems: retrying cannot help
      }
    } else {
      const int http_status = reply->status;
      if (http_status >= 200 && http_status < 300) {
        Status parsed = ParseAnswer(reply->body, texts.size(), out);
        count(parsed.ok() ? "ok" : "error", took);
        return parsed;
      }
      const std::string status_text = "HTTP " + std::to_string(http_status);
      if (http_status == 429 || http_status == 503) {
        wait = ParseRetryAfter(reply->retry_after, clock->NowMs());
        const std::string detail = "embedding provider " + origin + " answered " + status_text +
                                   (wait ? " (Retry-After " + Millis(*wait) + ")" : "") + ": " +
                                   Scrub(ProviderMessage(reply->body));
        count(http_status == 429 ? "rate_limited" : "unavailable", took);
        last = Status(http_status == 429 ? Code::kResourceExhausted : Code::kUnavailable, detail);
        // A 429 without Retry-After still means "everybody slow down": pause all for the backoff.
        if (!wait && http_status == 429) wait = Backoff(options_, attempt);
      } else if (http_status == 401 || http_status == 403) {
        count("error", took);
        // The body is not quoted: some providers echo part of the key in it.
        return Status(Code::kUnauthenticated,
                      "embedding provider " + origin + " refused the " +
                          (options_.api_key.empty() ? "request without an API key" : "API key") +
                          " (" + status_text + ")");
      } else if (http_status >= 500 || http_status == 408) {
        count("unavailable", took);
        last = Unavailable("embedding provider " + origin + " answered " + status_text + ": " +
                           Scrub(ProviderMessage(reply->body)));
      } else if (http_status >= 400) {
        count("error", took);
        return InvalidArgument("embedding provider " + origin + " rejected the request (" +
                               status_text + "): " + Scrub(ProviderMessage(reply->body)));
      } else {
        count("error", took);
        return Unavailable("embedding provider " + origin + " answered an unexpected " +
                           status_text);
      }
    }

    if (attempt >= options_.max_attempts) break;
    const milliseconds delay = wait ? *wait : Backoff(options_, attempt);
    const int64_t resume_ms = clock->NowMs() + delay.count();
    if (wait) limiter.PauseUntil(resume_ms);  // every caller waits, not just this one
    if (resume_ms > give_up_ms) break;
    if (!wait && !limiter.Sleep(delay, stop_.get_token())) {
      return Unavailable("embedding provider client is shutting down");
    }
  }
  return Status(last.code(), last.message() + " (gave up after " + std::to_string(attempt) +
                                 (attempt == 1 ? " attempt)" : " attempts)"));
}

Status OpenAiEmbedder::ParseAnswer(const std::string& body, size_t n, float* out) const {
  const std::string origin = http_->endpoint().Origin();
  auto malformed = [&](const std::string& why) {
    return Unavailable("embedding provider " + origin + " sent a malformed answer: " + why);
  };
  json::error_code ec;
  const json::value v = json::parse(body, ec);
  if (ec) return malformed("not JSON (" + ec.message() + ")");
  const json::object* root = v.if_object();
  const json::value* data_value = root != nullptr ? root->if_contains("data") : nullptr;
  if (data_value == nullptr || !data_value->is_array()) return malformed("no \"data\" array");
  const json::array& data = data_value->get_array();
  if (data.size() != n) {
    return malformed("returned " + std::to_string(data.size()) + " embeddings for " +
                     std::to_string(n) + " inputs");
  }
  const size_t dim = options_.dimension;
  std::vector<bool> seen(n, false);
  for (size_t pos = 0; pos < data.size(); ++pos) {
    const json::object* item = data[pos].if_object();
    if (item == nullptr) return malformed("data[" + std::to_string(pos) + "] is not an object");
    size_t index = pos;
    if (const json::value* idx = item->if_contains("index")) {
      if (!idx->is_int64() && !idx->is_uint64()) return malformed("non-integer index");
      const int64_t i =
          idx->is_int64() ? idx->get_int64() : static_cast<int64_t>(idx->get_uint64());
      if (i < 0 || static_cast<size_t>(i) >= n) {
        return malformed("index " + std::to_string(i) + " out of range");
      }
      index = static_cast<size_t>(i);
    }
    if (seen[index]) return malformed("index " + std::to_string(index) + " appears twice");
    seen[index] = true;
    const json::value* emb = item->if_contains("embedding");
    if (emb == nullptr || !emb->is_array()) {
      return malformed("data[" + std::to_string(pos) + "].embedding is not a list of numbers");
    }
    const json::array& values = emb->get_array();
    if (values.size() != dim) {
      return FailedPrecondition("embedding provider " + origin + " returned " +
                                std::to_string(values.size()) + "-dimensional vectors, version " +
                                version_ + " expects " + std::to_string(dim));
    }
    float* row = out + index * dim;
    double norm2 = 0;
    for (size_t k = 0; k < dim; ++k) {
      if (!values[k].is_number()) return malformed("an embedding value is not a number");
      const double x = values[k].to_number<double>();
      if (!std::isfinite(x)) return malformed("an embedding value is not finite");
      row[k] = static_cast<float>(x);
      norm2 += x * x;
    }
    if (norm2 > 0) {
      const double inv = 1.0 / std::sqrt(norm2);
      for (size_t k = 0; k < dim; ++k) row[k] = static_cast<float>(row[k] * inv);
    }
  }
  return Status::Ok();
}

}  // namespace scriptgen::embed
