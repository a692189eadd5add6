#include "sched/runner.h"

#include <fmt/format.h>

#include <algorithm>

#include "fetch/collect.h"
#include "util/json_strings.h"
#include "util/text.h"

namespace reelq {

namespace {

constexpr double k_backoff_cap_s = 60;  // scaled: the longest wait after an error or a 429
// The longest pause a Retry-After can impose, in the API's time (scaled like every other
// constant): one bad header must not stop a night's run for a day.
constexpr double k_max_retry_after_s = 300;
// Scaled seconds. An outage is said once a minute; the pause between tries grows to half a minute
// (a try that cannot leave the machine costs the API nothing, so the return is seen soon).
constexpr double k_outage_note_s = 60;
constexpr double k_outage_backoff_cap_s = 30;
// The longest the loop sleeps before looking again (real milliseconds): while downloads or
// callbacks may arrive, and otherwise. Between events a turn costs the tasks at the API, not
// the batch, so waking often is cheap; the stop flag is read at every wake.
constexpr TimeMs k_busy_tick_ms = 50;
constexpr TimeMs k_idle_tick_ms = 250;

}  // namespace

Runner::Runner(RunStore& store, ApiClient& api, Downloader& downloader, Clock& clock, RunObserver& observer,
               RunConfig config, const std::atomic<int>& stop_requests)
    : m_store(store),
      m_api(api),
      m_downloader(downloader),
      m_clock(clock),
      m_observer(observer),
      m_config(std::move(config)),
      m_stop(stop_requests),
      m_inline(m_config.dispatch ? nullptr : std::make_unique<InlineDispatch>(api)),
      m_dispatch(m_config.dispatch ? *m_config.dispatch : *m_inline),
      m_model(scaled(k_prior_render_ms / 1000.0)),
      m_backoff(scaled(1), scaled(k_backoff_cap_s), m_config.seed),
      m_outage(scaled(1), scaled(k_outage_backoff_cap_s), scaled(k_outage_note_s), m_config.seed + 2) {
  const Settings& s = m_config.settings;
  std::vector<PoolKey> pool = m_config.pool;
  if (pool.empty()) {
    pool.push_back(PoolKey{m_config.key, s.rpm, s.max_concurrent, ""});
  }
  m_lanes.reserve(pool.size());
  for (size_t k = 0; k < pool.size(); ++k) {
    // Each key's backoffs jitter apart; the first key's seed is the one-key run's.
    KeyLimitsConfig limits{scaled(1), scaled(k_backoff_cap_s), scaled(k_max_retry_after_s),
                           scaled(5), scaled(k_backoff_cap_s), m_config.seed + 1 + 16 * k};
    m_lanes.emplace_back(pool[k], scaled(60), limits);
  }
  m_rules.on_ambiguous = s.on_ambiguous;
  m_rules.max_attempts = s.max_attempts;
  m_rules.time_scale = s.time_scale;
  m_rules.not_found_stretch = scaled(k_not_found_stretch_s);
  m_rules.timing = poll_timing_of(s);
}

TimeMs Runner::scaled(double seconds) const {
  return static_cast<TimeMs>(seconds * 1000.0 * m_config.settings.time_scale);
}

bool Runner::write(std::int64_t row, const JobUpdate& update, const EventRecord* event) {
  if (auto st = m_store.update(row, update, event); !st) {
    m_storage_failed = true;
    m_failure_message = st.error().message;
    return false;
  }
  return true;
}

void Runner::say(LogLevel level, const char* event, const JobRow& j, const std::string& message,
                 const std::string& fail_code) {
  m_observer.event({level, event, j.job_id, j.take, j.task_id, fail_code, take_name(j) + ": " + message});
}

RunSummary Runner::run() {
  TimeMs started = m_clock.now_ms();
  if (!start_up(started)) {
    RunSummary s;
    s.end = RunEnd::storage_failed;
    s.message = m_failure_message;
    return s;
  }
  while (!halted()) {
    absorb_answers();
    absorb_downloads();
    absorb_inbox();
    if (m_stop.load() > 0 || halted()) {
      break;
    }
    TimeMs now = m_clock.now_ms();
    join_waiting_keys(now);
    read_balance_if_due(now);
    Choice choice = plan(now);
    const Action& a = choice.action;
    if (a.kind == ActionKind::done) {
      if (waiting_for_credits(now)) {  // nothing left to collect: only a top-up can go on
        wait_until(std::min(balance_read_at(now), m_dispatch.next_answer_at()));
        continue;
      }
      break;
    }
    if (a.kind == ActionKind::wait && m_sent.empty() && blocked_by_stale_renders(now)) {
      m_slots_held = true;
      break;
    }
    if (a.kind == ActionKind::submit) {
      submit(a.job, choice.lane);
    } else if (a.kind == ActionKind::poll) {
      poll(a.job);
    } else {
      TimeMs until = std::min({a.until, m_dispatch.next_answer_at(), balance_read_at(now)});
      for (const KeyLane& lane : m_lanes) {
        until = std::min(until, lane.holds.next_release());
        until = lane.waiting && m_config.join_key ? std::min(until, lane.next_join_try) : until;
      }
      wait_until(until);
    }
    note_outage();
    report_progress();
  }
  stop_dispatch();
  if (m_stop.load() > 0 || halted()) {
    m_downloader.stop();
    // Downloads in flight end at once (each checks the stop); what finished before or as it came
    // is recorded, so no file on disk is left for the resume to fetch again. Bounded: a stop ends
    // within 2 s.
    for (int nap = 0; nap < 10 && m_downloader.running() > 0; ++nap) {
      m_clock.sleep_ms(50);
    }
    if (!m_storage_failed) {
      absorb_downloads();
    }
  }
  return summarize(started);
}

// Sleeps until `until` or until something arrives: an answer, a callback, a finished download.
// With a wake-up (real runs) every arrival notifies it, and the cap only bounds how late a stop
// asked for by a signal is seen; without one (the fake clock) the inbox or the clock is waited on.
void Runner::wait_until(TimeMs until) {
  const bool busy = m_config.inbox || m_downloader.in_flight() > 0 || !m_sent.empty();
  TimeMs ms =
      std::clamp<TimeMs>(until - m_clock.now_ms(), 1, busy && !m_config.wakeup ? k_busy_tick_ms : k_idle_tick_ms);
  if (m_config.wakeup) {
    m_config.wakeup->wait_ms(ms);
  } else if (m_config.inbox) {
    m_config.inbox->wait_ms(ms);
  } else {
    m_clock.sleep_ms(ms);
  }
}

// Carries out what an answer means: the row's update and event in one transaction, then the line
// to say and the effects.
void Runner::apply(size_t i, Outcome& o) {
  const RunJob& j = m_jobs[i];
  KeyLane* lane = j.lane >= 0 ? &m_lanes[static_cast<size_t>(j.lane)] : nullptr;
  if (o.hold_slot) {
    hold_unseen_slot(j.lane, m_clock.now_ms(), j.cls);
  }
  if (o.timed_out && lane) {
    lane->holds.timed_out();
  }
  if (o.task_ended && j.ours() && lane) {
    lane->limits.on_task_ended();
  }
  if (o.learned) {
    m_model.observe(j.cls, *o.learned);
  }
  if (!o.note.empty()) {
    m_observer.log(o.note_level, take_name(j.row) + ": " + o.note);
  }
  const bool stored = write(j.row.id, o.update, &o.event);
  if (!stored && o.update.task_id) {
    say(LogLevel::error, "not_recorded", j.row,
        fmt::format("task {} was created but could not be recorded: {}", *o.update.task_id, m_failure_message));
    return;
  }
  if (stored && o.start_download) {
    start_download(i);
  }
  if (o.line && (stored || !o.timed_out)) {
    say(o.line->level, o.line->event, j.row, o.line->message, o.line->fail_code);
  }
}

// Hints mark known running tasks for one status query each, in the order they arrived; the query
// decides, never the callback. A hint for a task this run does not know, or that has ended, or
// that already waits for its query, changes nothing.
void Runner::absorb_inbox() {
  if (!m_config.inbox) {
    return;
  }
  InboxItems items = m_config.inbox->take();
  for (const auto& note : items.notes) {
    m_observer.log(LogLevel::warn, note);
  }
  for (const auto& task_id : items.hints) {
    std::optional<size_t> i = m_jobs.running_task(task_id);
    if (i && m_jobs[*i].hint == 0) {
      m_jobs.change(*i, [&](RunJob& j) { j.hint = ++m_hints; });
    }
  }
}

}  // namespace reelq
