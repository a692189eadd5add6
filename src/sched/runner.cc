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
// The most slots the end game plans over as one pool (four Pro keys): its search grows faster than
// the slots, and past this a key's own end game is nearly as good (measured: README, Scaling).
constexpr int k_pool_endgame_slots = 40;

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
  }
  return summarize(started);
}

PlanJob Runner::plan_job(size_t i) const {
  const RunJob& j = m_jobs[i];
  RenderEstimate e = m_model.estimate(j.cls);
  PlanJob p;
  p.index = i;
  p.state = j.row.state;
  p.next_at = j.row.next_at;
  p.submitted_at = j.row.submitted_at;
  p.predicted = std::max<TimeMs>(1, e.median);
  p.sigma = e.sigma;
  p.last_poll_at = std::max(j.row.last_poll_at, j.row.submitted_at);
  p.position = j.row.position;
  p.take = j.row.take;
  p.ours = j.ours();
  p.hint = j.hint;
  p.in_flight = j.in_flight;
  return p;
}

// The pool as every key's planning reads it this turn, built once: each key's tasks at the API,
// the batch's heads, and (in the end game) the queued jobs. A turn so costs the tasks at the API
// and the keys, not the keys times the tasks.
Runner::PoolView Runner::pool_view() {
  PoolView v;
  v.at_api.resize(m_lanes.size());
  v.free.assign(m_lanes.size(), 0);
  for (size_t i : m_jobs.at_api()) {
    if (const int l = m_jobs[i].lane; l >= 0) {
      v.at_api[static_cast<size_t>(l)].push_back(plan_job(i));
    }
  }
  for (size_t k = 0; k < m_lanes.size(); ++k) {
    const KeyLane& lane = m_lanes[k];
    const int busy = static_cast<int>(v.at_api[k].size());
    v.free[k] = std::max(0, lane.max_concurrent() - busy - lane.holds.timed_out_count());
    if (lane.takes_work()) {
      v.slots += lane.max_concurrent();
      v.free_slots += std::max(0, lane.max_concurrent() - busy);
    }
  }
  for (size_t i : m_jobs.ready_heads()) {
    v.ready.push_back(plan_job(i));
  }
  v.queued = m_jobs.count(JobState::queued);
  v.next_ready_at = m_jobs.next_ready_at().value_or(k_never);
  // The end game plans over the pool's slots while they are few; past k_pool_endgame_slots its
  // search (sched/endgame.h) would cost more than a turn may, and each key plans its own end.
  v.pool_endgame = m_lanes.size() > 1 && v.slots <= k_pool_endgame_slots;
  int widest = 0;
  for (const KeyLane& lane : m_lanes) {
    widest = std::max(widest, lane.max_concurrent());
  }
  if (v.queued <= k_endgame_rounds * (v.pool_endgame ? v.slots : widest)) {
    for (size_t i : m_jobs.queued()) {
      v.endgame.push_back(plan_job(i));
    }
  }
  return v;
}

// What the planner reads for one key: its own budget, slots and tasks, and the batch's heads.
PlanInput Runner::lane_input(int k, TimeMs now, const PoolView& v) {
  KeyLane& lane = m_lanes[static_cast<size_t>(k)];
  PlanInput in;
  in.now = now;
  const TimeMs paused = std::max(lane.paused_until, m_outage_until);
  in.budget_at = std::max(lane.window.next_allowed(now), paused);
  // Requests of the window kept for submits, so a slot seen free is filled at once: one per slot,
  // up to a tenth of the budget.
  const int reserve = std::min(lane.max_concurrent_setting, lane.window.cap() / 10);
  in.poll_at = std::max(lane.window.next_deferrable(now, reserve), paused);
  in.may_submit = lane.takes_work() && !m_spend.reached();
  in.max_concurrent = lane.max_concurrent();
  in.submit_at = lane.limits.submits_blocked_until();
  in.unseen_tasks = lane.holds.held(now, in.max_concurrent);
  in.downloads_pending = m_downloader.in_flight() > 0;
  in.polls_first = lane.polls_first;
  in.at_api = v.at_api[static_cast<size_t>(k)];
  in.ready = v.ready;
  in.queued = v.queued;
  in.next_ready_at = v.next_ready_at;
  if (v.pool_endgame) {
    const bool mine_counted = lane.takes_work();
    in.slots_elsewhere = v.slots - (mine_counted ? in.max_concurrent : 0);
    in.free_elsewhere =
        v.free_slots - (mine_counted ? std::max(0, in.max_concurrent - static_cast<int>(in.at_api.size())) : 0);
    if (in.queued <= k_endgame_rounds * (in.max_concurrent + in.slots_elsewhere)) {
      for (size_t other = 0; other < m_lanes.size(); ++other) {
        if (static_cast<int>(other) != k && m_lanes[other].takes_work()) {
          in.elsewhere.insert(in.elsewhere.end(), v.at_api[other].begin(), v.at_api[other].end());
        }
      }
    }
  }
  if (in.queued <= k_endgame_rounds * (in.max_concurrent + in.slots_elsewhere)) {
    in.endgame = v.endgame;
  }
  return in;
}

// The next action over the pool: each key that the API still takes is planned on its own; the key
// with the most free slots acts first, so work spreads by free slots, not by the order of the keys
// file. The run is done when every key is; otherwise it waits for the earliest of their waits.
Runner::Choice Runner::plan(TimeMs now) {
  m_jobs.promote(now);
  const PoolView view = pool_view();
  if (m_lanes.size() == 1) {
    return {plan_next(lane_input(0, now, view)), 0};
  }
  std::vector<std::pair<int, int>> order;  // (-free slots, lane)
  for (size_t k = 0; k < m_lanes.size(); ++k) {
    if (m_lanes[k].driven()) {
      order.emplace_back(-view.free[k], static_cast<int>(k));
    }
  }
  std::sort(order.begin(), order.end());
  Choice wait{{ActionKind::done, 0, 0}, 0};
  for (const auto& [neg_free, k] : order) {
    Action a = plan_next(lane_input(k, now, view));
    if (a.kind == ActionKind::submit || a.kind == ActionKind::poll) {
      return {a, k};
    }
    if (a.kind == ActionKind::wait && (wait.action.kind == ActionKind::done || a.until < wait.action.until)) {
      wait = {a, k};
    }
  }
  return wait;
}

// The lane of a task made with the key of this fingerprint. A row from before keys were recorded
// (schema 9) has none: it was made with the only key runs had then, the first.
int Runner::lane_of(const std::string& key_fp) const {
  if (key_fp.empty() || m_lanes.size() == 1) {
    return 0;
  }
  for (size_t k = 0; k < m_lanes.size(); ++k) {
    if (m_lanes[k].key.fingerprint == key_fp) {
      return static_cast<int>(k);
    }
  }
  return -1;  // not one of this run's keys: never polled (the run's guard refused such tasks before)
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
