// What the API's limits do to the run: 429s, an API that cannot be reached, a refused key, and the
// slots held by tasks this run cannot poll. The answer's meaning for its job is sched/outcome.h;
// this is its meaning for the run.
#include <fmt/format.h>

#include "sched/runner.h"

namespace reelq {

namespace {

// The longest pause a Retry-After can impose, in the API's time (scaled like every other
// constant): one bad header must not stop a night's run for a day.
constexpr double k_max_retry_after_s = 300;

}  // namespace

void Runner::on_answer(const Answer& a, SendId place) {
  if (!a.sent) {
    m_window.not_sent(place);  // it never left: its place in the budget is free again
  } else {
    m_window.answered(place, m_clock.now_ms());
  }
  if (a.kind == AnswerKind::unreachable) {
    on_unreachable(a);
    return;  // it never reached the server: no budget spent, nothing learned about the rate
  }
  if (auto back = m_outage.on_answer(m_clock.now_ms())) {
    m_observer.reachability(*back);
  }
  m_limiter.record(m_clock.now_ms());
  if (a.kind == AnswerKind::rate_limited) {
    on_rate_limited(a);
  } else if (a.sent) {
    m_consecutive_429 = 0;
    m_limiter.on_accepted();
  }
  if (a.kind == AnswerKind::unauthorized) {
    m_key_refused = true;
    m_failure_message = fmt::format("the API refused the key (HTTP {}): {}", a.http_status, a.message);
    m_observer.log(LogLevel::error, m_failure_message);
  }
}

// A 429 slows the whole run: no request until the pause ends, and a lower rate after it.
void Runner::on_rate_limited(const Answer& a) {
  ++m_consecutive_429;
  m_limiter.on_rate_limited();
  TimeMs wait = a.retry_after_ms ? *a.retry_after_ms : m_backoff_429.delay(m_consecutive_429);
  const TimeMs cap = scaled(k_max_retry_after_s);
  if (a.retry_after_ms && wait > cap) {
    m_pause_until = std::max(m_pause_until, m_clock.now_ms() + cap);
    m_observer.log(LogLevel::warn, fmt::format("rate limited (429): Retry-After asks {} ms; pausing {} ms, the most "
                                               "reelq waits, then going on at a lower rate",
                                               wait, cap));
    return;
  }
  m_pause_until = std::max(m_pause_until, m_clock.now_ms() + wait);
  m_observer.log(LogLevel::warn, fmt::format("rate limited (429): pausing {} ms{}", wait,
                                             a.retry_after_ms ? " as Retry-After asks" : ""));
}

// Nothing could leave this machine: the whole run pauses, longer each time, as for a 429; the
// request that failed is nobody's attempt.
void Runner::on_unreachable(const Answer& a) {
  TimeMs now = m_clock.now_ms();
  bool first = false;
  m_pause_until = std::max(m_pause_until, m_outage.on_not_sent(a.message, now, first));
  if (first) {
    m_observer.reachability(reachability());
  }
}

// About once a minute while the API stays away.
void Runner::note_outage() {
  if (m_outage.note_due(m_clock.now_ms())) {
    m_observer.reachability(reachability());
  }
}

Reachability Runner::reachability() const {
  // Mid-submit counts as queued: back soon.
  int running = m_jobs.count(JobState::running) + m_foreign_tasks;
  int queued = m_jobs.count(JobState::queued) + m_jobs.count(JobState::submitting);
  return m_outage.reachability(m_clock.now_ms(), running, queued);
}

// Slots the planner must leave alone: unseen tasks, and tasks given up on, which the API still
// counts while it renders them (a submit into their slot is refused 429, again and again).
int Runner::held_slots(TimeMs now) {
  return m_holds.held(now, m_config.settings.max_concurrent);
}

// Nothing of ours at the API, jobs still queued, and every slot held by renders past their
// deadline (ours given up on, or another batch's): waiting could last for ever, so the run ends
// and says so; `reelq resume` submits the rest once those renders end.
bool Runner::blocked_by_stale_renders(TimeMs now) {
  const int slots = m_config.settings.max_concurrent;
  // Asked on every wait of the loop: without enough stale renders to fill the slots, no need to look.
  if (m_holds.timed_out_count() + m_foreign_tasks < slots) {
    return false;
  }
  const int ours_busy =
      m_jobs.count(JobState::running) + m_jobs.count(JobState::submitting) + m_jobs.count(JobState::downloading);
  if (ours_busy > 0 || m_jobs.count(JobState::queued) == 0 || m_credits_out || m_downloader.in_flight() > 0) {
    return false;
  }
  int stale = m_holds.timed_out_count();
  for (size_t i : m_jobs.at_api()) {
    const JobRow& j = m_jobs[i].row;
    stale += !m_jobs[i].ours() && now >= j.submitted_at + m_rules.timing.render_deadline ? 1 : 0;
  }
  return stale >= slots;
}

}  // namespace reelq
