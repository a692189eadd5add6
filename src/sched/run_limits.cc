// What the API's limits do to the run: 429s, an API that cannot be reached, a refused key, and the
// slots held by tasks this run cannot poll. The answer's meaning for its job is sched/outcome.h;
// this is its meaning for the run.
#include <fmt/format.h>

#include <algorithm>

#include "sched/runner.h"

namespace reelq {

namespace {
// Scaled seconds between two looks at a waiting key's lease.
constexpr double k_join_try_s = 10;
}  // namespace

void Runner::on_answer(const Answer& a, int lane, SendId place, RequestKind kind, Ticket ticket) {
  KeyLane& key = m_lanes[static_cast<size_t>(lane)];
  if (!a.sent) {
    key.window.not_sent(place);  // it never left: its place in the budget is free again
  } else {
    key.window.answered(place, m_clock.now_ms());
  }
  if (a.kind == AnswerKind::unreachable) {
    on_unreachable(a);
    return;  // it never reached the server: nothing learned about the rate
  }
  if (auto back = m_outage.on_answer(m_clock.now_ms())) {
    m_observer.reachability(*back);
  }
  if (a.kind == AnswerKind::rate_limited) {
    on_rate_limited(a, lane, kind, ticket);
  } else if (a.sent) {
    key.limits.on_accepted(kind);
    key.window.on_accepted();
  }
  if (a.kind == AnswerKind::unauthorized && !key.refused) {
    key_refused(lane, a);
  }
}

// A key the API refuses (401/403) leaves the pool: nothing more is sent with it, its queued work
// goes to the other keys, and its tasks are left at the API as they are (never failed: the key may
// be fixed, and a `resume` with it collects them). The run stops only when no key is left.
void Runner::key_refused(int lane, const Answer& a) {
  KeyLane& key = m_lanes[static_cast<size_t>(lane)];
  key.refused = true;
  key.refused_message = fmt::format("the API refused the key (HTTP {}): {}", a.http_status, a.message);
  bool any_left = false;
  for (const KeyLane& other : m_lanes) {
    any_left = any_left || !other.refused;
  }
  if (!any_left) {
    m_key_refused = true;
    m_failure_message = m_lanes.size() == 1 ? key.refused_message
                                            : fmt::format("the API refused every key of the run; the last, {}: {}",
                                                          key.key.name, key.refused_message);
    m_observer.log(LogLevel::error, m_failure_message);
    return;
  }
  int left = 0;  // its tasks at the API (a submit being answered now is not one: it goes back to the queue)
  for (size_t i : m_jobs.at_api()) {
    left += m_jobs[i].lane == lane && m_jobs[i].row.state == JobState::running ? 1 : 0;
  }
  m_observer.log(
      LogLevel::warn,
      fmt::format("key {}: {}; it leaves the pool and the other keys go on{}", key.key.name, key.refused_message,
                  left == 0
                      ? std::string()
                      : fmt::format(" ({} it made {} left at the API, not polled and not failed)",
                                    left == 1 ? "1 task" : fmt::format("{} tasks", left), left == 1 ? "is" : "are")));
}

// Which cap a 429 is about decides what it does (sched/key_limits.h): the rate pauses every
// request and lowers the rate; the running tasks hold submits only, until one of the key's tasks
// ends or a short backoff passes, and polls go on, so finished tasks are still collected.
void Runner::on_rate_limited(const Answer& a, int lane, RequestKind kind, Ticket ticket) {
  KeyLane& key = m_lanes[static_cast<size_t>(lane)];
  const TimeMs now = m_clock.now_ms();
  LimitContext context;
  context.window_used = key.window.used(now);
  context.rpm = key.rpm;
  // The key's tasks as the API counted them when it refused: running ones, and submits sent before
  // this request that are still unanswered, which it took first (left out, a cap learned here
  // would be too low for the rest of the run; submits sent after it reached the API after it).
  int running = 0;
  context.counted_since = now;
  for (size_t i : m_jobs.at_api()) {
    const JobRow& row = m_jobs[i].row;
    if (m_jobs[i].lane == lane && row.state == JobState::running) {
      ++running;
      context.counted_since = std::min(context.counted_since, std::max(row.last_poll_at, row.submitted_at));
    }
  }
  context.running = running + submits_sent_before(lane, ticket);
  context.max_concurrent = key.max_concurrent();
  const bool submits_were_held = key.limits.submits_held_until() > now;
  Refusal r = key.limits.on_429(a, kind, context, now);
  if (r.slow_down) {
    key.window.on_rate_limited();
  }
  key.paused_until = std::max(key.paused_until, r.requests_paused_until);
  // Submits already on the wire when the first concurrency 429 came are refused in turn: one line
  // says it, not one per submit.
  if (r.limit != Limit::concurrency || !submits_were_held || r.learned_cap) {
    m_observer.log(LogLevel::warn,
                   m_lanes.size() == 1 ? r.warning : fmt::format("key {}: {}", key.key.name, r.warning));
  }
}

int Runner::submits_sent_before(int lane, Ticket ticket) const {
  int n = 0;
  for (const auto& [t, sent] : m_sent) {
    if (t >= ticket) {
      break;
    }
    n += sent.lane == lane && m_jobs[sent.job].row.state == JobState::submitting ? 1 : 0;
  }
  return n;
}

// The pool's cap on running tasks: each key's setting, or lower once the API has shown it is.
int Runner::max_concurrent() const {
  int n = 0;
  for (const KeyLane& lane : m_lanes) {
    n += lane.driven() ? lane.max_concurrent() : 0;
  }
  return n;
}

// Nothing could leave this machine: the whole run pauses, longer each time, as for a 429; the
// request that failed is nobody's attempt.
void Runner::on_unreachable(const Answer& a) {
  TimeMs now = m_clock.now_ms();
  bool first = false;
  m_outage_until = std::max(m_outage_until, m_outage.on_not_sent(a.message, now, first));
  if (first) {
    // Read at the same `now`: the first note says "API unreachable", not "for 1ms" on a slow machine.
    m_observer.reachability(reachability(now));
  }
}

// A key another reelq on this machine drove when the run started joins the pool once its lease is
// this run's. That run's last minute of requests is not known here, so the key's budget starts as
// if it had just been spent: nothing is sent with it for one window.
void Runner::join_waiting_keys(TimeMs now) {
  for (KeyLane& lane : m_lanes) {
    if (!lane.waiting || now < lane.next_join_try || !m_config.join_key) {
      continue;
    }
    lane.next_join_try = now + scaled(k_join_try_s);
    if (m_config.join_key(lane.key)) {
      lane.waiting = false;
      lane.window.restore({}, now, lane.rpm);
      m_observer.log(LogLevel::info, fmt::format("key {} is free now: it joins the pool (its first requests after "
                                                 "one window, as the other run's last minute is not known here)",
                                                 lane.key.name));
    }
  }
}

// About once a minute while the API stays away.
void Runner::note_outage() {
  TimeMs now = m_clock.now_ms();
  if (m_outage.note_due(now)) {
    m_observer.reachability(reachability(now));
  }
}

Reachability Runner::reachability(TimeMs now) const {
  // Mid-submit counts as queued: back soon.
  int running = m_jobs.count(JobState::running) + m_foreign_tasks;
  int queued = m_jobs.count(JobState::queued) + m_jobs.count(JobState::submitting);
  return m_outage.reachability(now, running, queued);
}

// Nothing of ours at the API, jobs still queued, and every slot of every key held by renders past
// their deadline (ours given up on, or another batch's): waiting could last for ever, so the run
// ends and says so; `reelq resume` submits the rest once those renders end.
bool Runner::blocked_by_stale_renders(TimeMs now) {
  const int slots = max_concurrent();
  int timed_out = 0;
  for (const KeyLane& lane : m_lanes) {
    timed_out += lane.driven() ? lane.holds.timed_out_count() : 0;
  }
  // Asked on every wait of the loop: without enough stale renders to fill the slots, no need to look.
  if (timed_out + m_foreign_tasks < slots) {
    return false;
  }
  const int ours_busy =
      m_jobs.count(JobState::running) + m_jobs.count(JobState::submitting) + m_jobs.count(JobState::downloading);
  bool credits_left = false;
  for (const KeyLane& lane : m_lanes) {
    credits_left = credits_left || lane.takes_work();
  }
  if (ours_busy > 0 || m_jobs.count(JobState::queued) == 0 || !credits_left || m_downloader.in_flight() > 0) {
    return false;
  }
  int stale = 0;
  for (size_t k = 0; k < m_lanes.size(); ++k) {
    const KeyLane& lane = m_lanes[k];
    if (!lane.driven()) {
      continue;
    }
    int on_key = lane.holds.timed_out_count();
    for (size_t i : m_jobs.at_api()) {
      const JobRow& j = m_jobs[i].row;
      on_key += m_jobs[i].lane == static_cast<int>(k) && !m_jobs[i].ours() &&
                        now >= j.submitted_at + m_rules.timing.render_deadline
                    ? 1
                    : 0;
    }
    stale += std::min(on_key, lane.max_concurrent());
  }
  return stale >= slots;
}

}  // namespace reelq
