// The pool's turn: what each key's planner reads (its own budget, slots and tasks, and the batch's
// heads), and which key acts first. Part of Runner (sched/runner.h); the planner itself is pure
// (sched/planner.h).
#include <algorithm>

#include "sched/runner.h"

namespace reelq {

namespace {

// The most slots the end game plans over as one pool (four Pro keys): its search grows faster than
// the slots, and past this a key's own end game is nearly as good (measured: README, Scaling).
constexpr int k_pool_endgame_slots = 40;

}  // namespace

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

}  // namespace reelq
