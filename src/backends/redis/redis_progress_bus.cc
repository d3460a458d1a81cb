// RedisProgressBus design.
//
// Publishing: Publish() appends to an outbox; one publisher thread sends up to max_batch events
// per call of the PublishEvents script, which per event HINCRBYs the job's seq, stores the event
// in a ring of history_per_job slots (field seq % history_per_job of `<base>ev:<id>`, so history
// needs no LTRIM and is bounded), refreshes the key's TTL on some state events, and finally
// PUBLISHes the whole batch as ONE message on `<base>events`. Seq assignment, history and
// publication are one atomic script, so any process that reads the history after its SUBSCRIBE was
// confirmed either finds an event in the history or receives it live (or both: duplicates are
// dropped by seq). One channel carrying batches costs the server one PUBLISH per batch instead of
// one per event; each subscribing process filters by job locally. (Per-job channels would spare API
// nodes the events of jobs nobody watches, at the cost of a PUBLISH per event and a SUBSCRIBE per
// watched job; with few API nodes the single channel is cheaper.)
//
// Subscribing: one listener thread per bus with its own connection (a SUBSCRIBEd connection can
// do nothing else), started by the first Subscribe. Subscribe registers the subscriber as
// "replaying" (live events for it are held back), reads the job's history, delivers the retained
// events after after_seq, then the held ones, and switches it to live; every delivery advances the
// subscriber's last_seq and nothing at or below it is delivered again. All under mu_, so a
// subscriber's callbacks never run concurrently and always in seq order.
//
// Reconnects: after the listener's connection drops and comes back, events published meanwhile
// were not received; Resync() reads the history of every job with subscribers and delivers what
// they missed. Events older than the ring are gone: the subscriber then continues from the
// retained ones, the latest state included (the same snapshot semantics as the memory bus).
#include "backends/redis/redis_progress_bus.h"

#include <algorithm>
#include <charconv>

#include "backends/redis/redis_lua_scripts.h"
#include "obs/logger.h"
#include "util/clock.h"

namespace scriptgen::redis {

using jobs::JobEvent;
using jobs::JobId;

namespace {

void AppendNetstring(std::string& out, std::string_view s) {
  out += std::to_string(s.size());
  out += ':';
  out += s;
}

bool ReadNumber(std::string_view& s, int64_t* v, char end) {
  const char* first = s.data();
  const char* last = s.data() + s.size();
  auto [p, ec] = std::from_chars(first, last, *v);
  if (ec != std::errc() || p == last || *p != end) return false;
  s.remove_prefix(static_cast<size_t>(p - first) + 1);
  return true;
}

bool ReadNetstring(std::string_view& s, std::string* out) {
  int64_t len = 0;
  if (!ReadNumber(s, &len, ':') || len < 0 || static_cast<size_t>(len) > s.size()) return false;
  out->assign(s.substr(0, static_cast<size_t>(len)));
  s.remove_prefix(static_cast<size_t>(len));
  return true;
}

}  // namespace

std::string EncodeEventBody(const JobEvent& e) {
  std::string s = std::to_string(e.job_id);
  s += e.kind == JobEvent::Kind::kProgress ? ",p," : ",s,";
  s += std::to_string(static_cast<int>(e.state)) + ',' + std::to_string(e.progress.percent) + ',' +
       std::to_string(e.at_ms) + ',';
  AppendNetstring(s, e.progress.step);
  AppendNetstring(s, e.progress.message);
  AppendNetstring(s, e.error);
  return s;
}

bool DecodeEvent(std::string_view s, JobEvent* e) {
  int64_t seq = 0, job = 0, state = 0, percent = 0, at = 0;
  if (!ReadNumber(s, &seq, ',') || !ReadNumber(s, &job, ',')) return false;
  if (s.size() < 2 || (s[0] != 'p' && s[0] != 's') || s[1] != ',') return false;
  e->kind = s[0] == 'p' ? JobEvent::Kind::kProgress : JobEvent::Kind::kState;
  s.remove_prefix(2);
  if (!ReadNumber(s, &state, ',') || !ReadNumber(s, &percent, ',') || !ReadNumber(s, &at, ',')) {
    return false;
  }
  if (state < 0 || state >= jobs::kJobStateCount || seq <= 0) return false;
  e->seq = static_cast<uint64_t>(seq);
  e->job_id = job;
  e->state = static_cast<jobs::JobState>(state);
  e->progress.percent = static_cast<int>(percent);
  e->at_ms = at;
  return ReadNetstring(s, &e->progress.step) && ReadNetstring(s, &e->progress.message) &&
         ReadNetstring(s, &e->error) && s.empty();
}

class RedisProgressBus::Sub final : public jobs::ProgressBus::Subscription {
 public:
  Sub(RedisProgressBus* bus, JobId id, uint64_t token) : bus_(bus), id_(id), token_(token) {}
  ~Sub() override { bus_->Unsubscribe(id_, token_); }

 private:
  RedisProgressBus* bus_;
  JobId id_;
  uint64_t token_;
};

RedisProgressBus::RedisProgressBus(std::shared_ptr<RedisPool> pool, RedisProgressBusOptions options)
    : pool_(std::move(pool)),
      options_(std::move(options)),
      base_(KeyBase(options_.keys)),
      publish_script_(lua::PublishEvents()) {
  publisher_ = std::thread([this] { PublishLoop(); });
}

RedisProgressBus::~RedisProgressBus() {
  stop_listener_ = true;
  if (listener_.joinable()) listener_.join();
  {
    std::lock_guard lock(out_mu_);
    stop_publisher_ = true;
  }
  out_cv_.notify_all();
  publisher_.join();
}

void RedisProgressBus::Publish(JobEvent event) {
  if (event.at_ms == 0) event.at_ms = SystemClock::Get()->NowMs();
  {
    std::lock_guard lock(out_mu_);
    if (outbox_.size() >= options_.max_pending) {
      outbox_.pop_front();
      ++dropped_;
    }
    outbox_.push_back({std::move(event), ++next_ticket_});
  }
  out_cv_.notify_one();
}

void RedisProgressBus::Flush() {
  std::unique_lock lock(out_mu_);
  const uint64_t target = next_ticket_;
  flushed_cv_.wait(lock, [&] { return sent_ticket_ >= target; });
}

void RedisProgressBus::PublishLoop() {
  std::unique_lock lock(out_mu_);
  for (;;) {
    out_cv_.wait(lock, [this] { return stop_publisher_ || !outbox_.empty(); });
    if (outbox_.empty()) return;  // stopping, and everything is sent
    if (!stop_publisher_ && outbox_.size() < options_.max_batch) {
      out_cv_.wait_for(lock, options_.batch_window,
                       [this] { return stop_publisher_ || outbox_.size() >= options_.max_batch; });
    }
    std::vector<Pending> batch;
    while (!outbox_.empty() && batch.size() < options_.max_batch) {
      batch.push_back(std::move(outbox_.front()));
      outbox_.pop_front();
    }
    lock.unlock();

    std::vector<std::string> args = {base_, std::to_string(options_.history_per_job),
                                     std::to_string(options_.retain_live.count()),
                                     std::to_string(options_.retain_finished.count())};
    args.reserve(4 + 3 * batch.size());
    for (const Pending& p : batch) {
      const JobEvent& e = p.event;
      args.push_back(std::to_string(e.job_id));
      // See lua::PublishEvents: which events move the history's TTL.
      const bool refresh = e.kind == JobEvent::Kind::kState && e.state != jobs::JobState::kRunning;
      args.push_back(!refresh ? "n" : jobs::IsTerminal(e.state) ? "t" : "s");
      args.push_back(EncodeEventBody(e));
    }
    // A retry after Unavailable may publish a batch twice (the first call may have run): the
    // duplicates get new seqs. Events are advisory; job state is authoritative.
    Status status;
    auto backoff = std::chrono::milliseconds(100);
    for (int attempt = 0; attempt < 5; ++attempt) {
      status = pool_->Run([&](RedisConnection& c) -> Status {
        StatusOr<RedisReply> r = publish_script_.Run(c, {CounterKey(base_)}, args);
        if (!r.ok()) return r.status();
        if (r->is_error()) return Internal("redis progress bus script failed: " + r->str);
        return Status::Ok();
      });
      if (status.ok() || status.code() == Code::kInternal) break;
      {
        std::lock_guard stop_check(out_mu_);
        if (stop_publisher_) break;
      }
      std::this_thread::sleep_for(backoff);
      backoff *= 2;
    }
    if (status.ok()) {
      published_ += batch.size();
    } else {
      dropped_ += batch.size();
      obs::Logger::Global().Warn("redis progress bus: events dropped",
                                 {{"events", batch.size()}, {"error", status.message()}});
    }
    lock.lock();
    sent_ticket_ = std::max(sent_ticket_, batch.back().ticket);
    flushed_cv_.notify_all();
  }
}

std::unique_ptr<jobs::ProgressBus::Subscription> RedisProgressBus::Subscribe(JobId id,
                                                                             uint64_t after_seq,
                                                                             Callback callback) {
  uint64_t token = 0;
  {
    std::unique_lock lock(mu_);
    if (!listener_.joinable()) listener_ = std::thread([this] { ListenLoop(); });
    // Until the SUBSCRIBE is confirmed a live event could slip between the history read and
    // the subscription. On timeout (Redis down) go on: the listener resyncs when it connects.
    subscribed_cv_.wait_for(lock, options_.subscribe_timeout, [this] { return subscribed_; });
    token = next_token_++;
    Subscriber& s = subs_[id][token];
    s.callback = std::move(callback);
    s.last_seq = after_seq;
  }
  StatusOr<std::vector<JobEvent>> history = ReadHistory(id);
  {
    std::lock_guard lock(mu_);
    Subscriber& s = subs_[id][token];
    auto deliver = [&s](const JobEvent& e) {
      if (e.seq <= s.last_seq) return;
      s.last_seq = e.seq;
      s.callback(e);
    };
    if (history.ok()) {
      for (const JobEvent& e : *history) deliver(e);
    }
    for (const JobEvent& e : s.held) deliver(e);
    s.held.clear();
    s.replaying = false;
  }
  return std::make_unique<Sub>(this, id, token);
}

void RedisProgressBus::Unsubscribe(JobId id, uint64_t token) {
  std::lock_guard lock(mu_);
  auto it = subs_.find(id);
  if (it == subs_.end()) return;
  it->second.erase(token);
  if (it->second.empty()) subs_.erase(it);
}

StatusOr<std::vector<JobEvent>> RedisProgressBus::ReadHistory(JobId id) {
  RedisReply reply;
  Status s = pool_->Run([&](RedisConnection& c) -> Status {
    StatusOr<RedisReply> r = c.Command({"HGETALL", EventsKey(base_, id)});
    if (!r.ok()) return r.status();
    reply = std::move(*r);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  if (reply.is_error()) return Internal("redis HGETALL failed: " + reply.str);
  std::vector<JobEvent> events;
  for (size_t i = 0; i + 1 < reply.elements.size(); i += 2) {
    if (reply.elements[i].str == "seq") continue;
    JobEvent e;
    if (DecodeEvent(reply.elements[i + 1].str, &e)) events.push_back(std::move(e));
  }
  std::sort(events.begin(), events.end(),
            [](const JobEvent& a, const JobEvent& b) { return a.seq < b.seq; });
  return events;
}

void RedisProgressBus::DeliverLocked(const std::vector<JobEvent>& events) {
  for (const JobEvent& e : events) {
    auto it = subs_.find(e.job_id);
    if (it == subs_.end()) continue;
    for (auto& [token, s] : it->second) {
      if (s.replaying) {
        s.held.push_back(e);
      } else if (e.seq > s.last_seq) {
        s.last_seq = e.seq;
        s.callback(e);
      }
    }
  }
}

void RedisProgressBus::Resync() {
  std::vector<JobId> ids;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, subs] : subs_) ids.push_back(id);
  }
  for (JobId id : ids) {
    StatusOr<std::vector<JobEvent>> history = ReadHistory(id);
    if (!history.ok()) continue;
    std::lock_guard lock(mu_);
    DeliverLocked(*history);
  }
}

void RedisProgressBus::ListenLoop() {
  std::unique_ptr<RedisConnection> conn;
  auto backoff = std::chrono::milliseconds(50);
  const std::string channel = EventsChannel(base_);
  while (!stop_listener_) {
    if (conn == nullptr) {
      StatusOr<std::unique_ptr<RedisConnection>> c = RedisConnection::Connect(pool_->endpoint());
      bool ok = c.ok() && (*c)->Send({"SUBSCRIBE", channel}).ok();
      if (ok) {
        // The confirmation: ["subscribe", channel, count].
        StatusOr<RedisReply> r = (*c)->ReadReply(std::chrono::milliseconds(2000));
        ok = r.ok() && r->type == RedisReply::Type::kArray && !r->elements.empty() &&
             r->elements[0].str == "subscribe";
      }
      if (!ok) {
        for (auto slept = std::chrono::milliseconds(0); slept < backoff && !stop_listener_;
             slept += std::chrono::milliseconds(10)) {
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
        continue;
      }
      conn = std::move(*c);
      backoff = std::chrono::milliseconds(50);
      {
        std::lock_guard lock(mu_);
        subscribed_ = true;
      }
      subscribed_cv_.notify_all();
      // Events published while we were not subscribed (a reconnect, or a Subscribe that timed
      // out waiting for us) are only in the history.
      Resync();
    }
    StatusOr<RedisReply> r = conn->ReadReply(std::chrono::milliseconds(100));
    if (!r.ok()) {
      if (r.status().code() == Code::kDeadlineExceeded && conn->healthy()) continue;
      conn.reset();
      std::lock_guard lock(mu_);
      subscribed_ = false;
      continue;
    }
    if (r->type != RedisReply::Type::kArray || r->elements.size() < 3 ||
        r->elements[0].str != "message") {
      continue;
    }
    std::vector<JobEvent> events;
    std::string_view payload = r->elements[2].str;
    while (!payload.empty()) {
      std::string one;
      if (!ReadNetstring(payload, &one)) break;
      JobEvent e;
      if (DecodeEvent(one, &e)) events.push_back(std::move(e));
    }
    std::lock_guard lock(mu_);
    DeliverLocked(events);
  }
}

}  // namespace scriptgen::redis
