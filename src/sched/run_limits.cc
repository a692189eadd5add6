// What the API's limits do to the run: 429s, an API that cannot be reached, a refused key, and the
// slots held by tasks this run cannot poll. The answer's meaning for its job is sched/outcome.h;
// this is its meaning for the run.
#include <fmt/format.h>

#include "sched/runner.h"

namespace reelq {

void Runner::on_answer(const Answer& a, SendId place, RequestKind kind, Ticket ticket) {
  if (!a.sent) {
    m_window.not_sent(place);  // it never left: its place in the budget is free again
  } else {
    m_window.answered(place, m_clock.now_ms());
  }
  if (a.kind == AnswerKind::unreachable) {
    on_unreachable(a);
    return;  // it never reached the server: nothing learned about the rate
  }
  if (auto back = m_outage.on_answer(m_clock.now_ms())) {
    m_observer.reachability(*back);
  }
  if (a.kind == AnswerKind::rate_limited) {
    on_rate_limited(a, kind, ticket);
  } else if (a.sent) {
    m_limits.on_accepted(kind);
    m_window.on_accepted();
  }
  if (a.kind == AnswerKind::unauthorized) {
    m_key_refused = true;
    m_failure_message = fmt::format("the API refused the key (HTTP {}): {}", a.http_status, a.message);
    m_observer.log(LogLevel::error, m_failure_message);
  }
}

// Which cap a 429 is about decides what it does (sched/key_limits.h): the rate pauses every
// request and lowers the rate; the running tasks hold submits only, until one of the key's tasks
// ends or a short backoff passes, and polls go on, so finished tasks are still collected.
void Runner::on_rate_limited(const Answer& a, RequestKind kind, Ticket ticket) {
  const TimeMs now = m_clock.now_ms();
  LimitContext context;
  context.window_used = m_window.used(now);
  context.rpm = m_config.settings.rpm;
  // The key's tasks as the API counted them when it refused: running ones, and submits sent before
  // this request that are still unanswered, which it took first (left out, a cap learned here
  // would be too low for the rest of the run; submits sent after it reached the API after it).
  context.running = m_jobs.count(JobState::running) + submits_sent_before(ticket) + m_jobs.foreign_at_api();
  context.max_concurrent = max_concurrent();
  const bool submits_were_held = m_limits.submits_held_until() > now;
  Refusal r = m_limits.on_429(a, kind, context, now);
  if (r.slow_down) {
    m_window.on_rate_limited();
  }
  m_pause_until = std::max(m_pause_until, r.requests_paused_until);
  // Submits already on the wire when the first concurrency 429 came are refused in turn: one line
  // says it, not one per submit.
  if (r.limit != Limit::concurrency || !submits_were_held || r.learned_cap) {
    m_observer.log(LogLevel::warn, r.warning);
  }
}

int Runner::submits_sent_before(Ticket ticket) const {
  int n = 0;
  for (const auto& [t, sent] : m_sent) {
    if (t >= ticket) {
      break;
    }
    n += m_jobs[sent.job].row.state == JobState::submitting ? 1 : 0;
  }
  return n;
}

// The key's cap on running tasks: the setting, or lower once the API has shown it is.
int Runner::max_concurrent() const {
  return m_limits.max_concurrent(m_config.settings.max_concurrent);
}

// Nothing could leave this machine: the whole run pauses, longer each time, as for a 429; the
// request that failed is nobody's attempt.
void Runner::on_unreachable(const Answer& a) {
  TimeMs now = m_clock.now_ms();
  bool first = false;
  m_pause_until = std::max(m_pause_until, m_outage.on_not_sent(a.message, now, first));
  if (first) {
    // Read at the same `now`: the first note says "API unreachable", not "for 1ms" on a slow machine.
    m_observer.reachability(reachability(now));
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

// Slots the planner must leave alone: unseen tasks, and tasks given up on, which the API still
// counts while it renders them (a submit into their slot is refused 429, again and again).
int Runner::held_slots(TimeMs now) {
  return m_holds.held(now, max_concurrent());
}

// Nothing of ours at the API, jobs still queued, and every slot held by renders past their
// deadline (ours given up on, or another batch's): waiting could last for ever, so the run ends
// and says so; `reelq resume` submits the rest once those renders end.
bool Runner::blocked_by_stale_renders(TimeMs now) {
  const int slots = max_concurrent();
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
