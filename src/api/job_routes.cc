// /v1/jobs: inspect, list, cancel, and watch a job live over Server-Sent Events (R-Q6).
//
// SSE: each ProgressBus event becomes an SSE event named "progress" or "state" whose id is the
// job's event sequence number, so a client that reconnects with Last-Event-ID resumes after the
// last event it saw. The first event of a connection that has nothing to replay is a "state"
// snapshot (without an id). The stream ends after a terminal state. Heartbeats are the server's.
#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>

#include "api/json_views.h"
#include "api/request_parsing.h"
#include "api/routes_internal.h"
#include "http/sse_stream.h"
#include "ingest/document_service.h"
#include "jobs/progress_bus.h"
#include "jobs/queue.h"
#include "obs/service_metrics.h"

namespace scriptgen::api {
namespace {

http::Response GetJob(const ApiServices& s, http::Request& req, const auth::Principal& who) {
  StatusOr<int64_t> id = ParsePublicId(req.path_params.at("id"), kJobPrefix, "job");
  if (!id.ok()) return http::ErrorResponse(id.status());
  if (Status in = s.documents->CheckJobInScope(*id, who.subject_scope()); !in.ok()) {
    return http::ErrorResponse(in);
  }
  StatusOr<jobs::Job> job = s.queue->Get(*id);
  if (!job.ok()) return http::ErrorResponse(job.status());
  return Json(200, JobJson(*job));
}

http::Response ListJobs(const ApiServices& s, http::Request& req) {
  StatusOr<Paging> p = ParsePaging(req);
  if (!p.ok()) return http::ErrorResponse(p.status());
  jobs::JobFilter f;
  f.after_id = p->after_id;
  f.limit = p->limit + 1;
  if (auto state = req.QueryParam("state")) {
    f.state = jobs::ParseState(*state);
    if (!f.state) {
      return http::ErrorResponse(400, "invalid_argument",
                                 "state must be one of queued, scheduled, running, succeeded, "
                                 "dead, cancelled");
    }
  }
  if (auto type = req.QueryParam("type")) f.type = *type;
  StatusOr<std::vector<jobs::Job>> list = s.queue->List(f);
  if (!list.ok()) return http::ErrorResponse(list.status());
  boost::json::array out;
  for (size_t i = 0; i < list->size() && i < p->limit; ++i) out.push_back(JobJson((*list)[i]));
  boost::json::value next = nullptr;
  if (list->size() > p->limit) next = std::to_string((*list)[p->limit - 1].id);
  return Json(200, {{"jobs", std::move(out)}, {"next", next}});
}

http::Response CancelJob(const ApiServices& s, http::Request& req, const auth::Principal& who) {
  StatusOr<int64_t> id = ParsePublicId(req.path_params.at("id"), kJobPrefix, "job");
  if (!id.ok()) return http::ErrorResponse(id.status());
  if (Status in = s.documents->CheckJobInScope(*id, who.subject_scope()); !in.ok()) {
    return http::ErrorResponse(in);
  }
  if (s.metrics != nullptr) s.metrics->job_cancellation_requests_total.Inc();
  StatusOr<jobs::JobState> state = s.queue->Cancel(*id);
  if (!state.ok()) return http::ErrorResponse(state.status());
  const bool done = *state == jobs::JobState::kCancelled;
  return Json(done ? 200 : 202, {{"id", PublicId(kJobPrefix, *id)},
                                 {"state", jobs::StateName(*state)},
                                 {"cancel_requested", !done}});
}

uint64_t LastEventId(const http::Request& req) {
  const std::string v = req.Header("Last-Event-ID").value_or("");
  uint64_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  return ec == std::errc() && p == v.data() + v.size() ? n : 0;
}

// Shared by the bus callback and the handler: remembers whether the stream already carried a
// terminal state, so the snapshot logic does not send a second one.
struct StreamState {
  std::atomic<bool> sent_any{false};
  std::atomic<bool> ended{false};
};

void SendEvent(http::SseStream& stream, StreamState& st, const jobs::JobEvent& e) {
  const char* name = e.kind == jobs::JobEvent::Kind::kProgress ? "progress" : "state";
  stream.Send(name, std::to_string(e.seq), boost::json::serialize(EventJson(e)));
  st.sent_any = true;
  if (e.kind == jobs::JobEvent::Kind::kState && jobs::IsTerminal(e.state)) {
    st.ended = true;
    stream.Close();
  }
}

void SendSnapshot(http::SseStream& stream, StreamState& st, const jobs::Job& job) {
  jobs::JobEvent e;
  e.job_id = job.id;
  e.kind = jobs::JobEvent::Kind::kState;
  e.state = job.state;
  e.progress = job.progress;
  e.at_ms = job.updated_ms;
  if (job.last_error) e.error = job.last_error->message;
  boost::json::object data = EventJson(e);
  data.erase("seq");
  data["progress"] = boost::json::object{{"step", job.progress.step},
                                         {"percent", job.progress.percent},
                                         {"message", job.progress.message}};
  stream.Send("state", "", boost::json::serialize(data));
  st.sent_any = true;
  if (jobs::IsTerminal(job.state)) {
    st.ended = true;
    stream.Close();
  }
}

std::optional<http::Response> Events(const ApiServices& s, http::Request& req,
                                     const auth::Principal& who,
                                     std::shared_ptr<http::SseStream> stream) {
  StatusOr<int64_t> id = ParsePublicId(req.path_params.at("id"), kJobPrefix, "job");
  if (!id.ok()) return http::ErrorResponse(id.status());
  if (Status in = s.documents->CheckJobInScope(*id, who.subject_scope()); !in.ok()) {
    return http::ErrorResponse(in);
  }
  StatusOr<jobs::Job> job = s.queue->Get(*id);
  if (!job.ok()) return http::ErrorResponse(job.status());

  auto st = std::make_shared<StreamState>();
  if (s.metrics != nullptr) {
    // A stream closed before its job ended is a client going away: the disconnect storm alert
    // watches that counter.
    s.metrics->sse_connections_open.Add(1);
    stream->OnClose([m = s.metrics, st] {
      m->sse_connections_open.Add(-1);
      if (!st->ended) m->sse_disconnects_total.Inc();
    });
  }
  // Replays retained events after Last-Event-ID synchronously, then delivers live ones.
  std::shared_ptr<jobs::ProgressBus::Subscription> sub =
      s.bus->Subscribe(*id, LastEventId(req), [stream, st](const jobs::JobEvent& e) {
        if (!st->ended) SendEvent(*stream, *st, e);
      });
  stream->OnClose([sub]() mutable { sub.reset(); });
  if (!st->sent_any) {
    // Nothing to replay (fresh connection, or history no longer kept): tell the client where the
    // job stands now. Read after subscribing, so no change can fall between the two.
    StatusOr<jobs::Job> now = s.queue->Get(*id);
    if (now.ok() && !st->ended) SendSnapshot(*stream, *st, *now);
  } else if (!st->ended) {
    // Replayed events exist but may predate a terminal state whose event was pruned.
    StatusOr<jobs::Job> now = s.queue->Get(*id);
    if (now.ok() && jobs::IsTerminal(now->state) && !st->ended) SendSnapshot(*stream, *st, *now);
  }
  return std::nullopt;
}

}  // namespace

void AddJobRoutes(RouteTable& routes, const ApiServices& s, const ApiOptions& o) {
  // Listing every job is an operator's view; subject-bound tokens reach their jobs through the
  // job ids their uploads returned.
  routes.Add("GET", "/v1/jobs", Access::kAdmin,
             [s](http::Request& req, const auth::Principal&) { return ListJobs(s, req); });
  // Clients poll this one; when reads are local it is cheap enough for the network thread.
  routes.Add("GET", "/v1/jobs/{id}", Access::kRead,
             [s](http::Request& req, const auth::Principal& who) { return GetJob(s, req, who); },
             {.run_on_network_thread = o.local_reads});
  routes.Add(
      "POST", "/v1/jobs/{id}/cancel", Access::kWrite,
      [s](http::Request& req, const auth::Principal& who) { return CancelJob(s, req, who); });
  routes.AddSse(
      "/v1/jobs/{id}/events", Access::kRead,
      [s](http::Request& req, const auth::Principal& who, std::shared_ptr<http::SseStream> stream) {
        return Events(s, req, who, std::move(stream));
      });
}

}  // namespace scriptgen::api
