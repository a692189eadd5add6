#pragma once
// Decides the runner's next action from a snapshot of the batch, the time and the request budget.
// Pure: no I/O, no clock; the runner carries the action out (ninja's Plan beside its Builder).
//
// The policy, in order:
//  1. Keep every slot full: a free slot and a queued job means submit. Which job: the longest
//     predicted render (ties in manifest order), until four rounds of jobs are left; from then on
//     the remainder is planned as a whole at every submit so the slots end together
//     (src/sched/endgame.h).
//  2. Otherwise spend the budget on the due task most likely to have finished since it was last
//     looked at: (F(now) - F(last)) / (1 - F(last)), F being the task's predicted distribution of
//     render times (log-normal around the prediction, with a floor on the spread). So a task that
//     was just polled yields to one nobody has looked at for a while. Polls wait for `poll_at`,
//     which paces them evenly and keeps part of the window for submits; submits wait only for
//     `budget_at`.
//  3. Otherwise wait for the earliest moment something can be done.
#include <cstddef>
#include <vector>

#include "queue/job_state.h"
#include "util/clock.h"

namespace reelq {

struct PlanJob {
  JobState state = JobState::queued;
  TimeMs next_at = 0;  // queued: not before (backoff); running: next poll
  TimeMs submitted_at = 0;
  TimeMs predicted = 1;     // predicted render time, ms
  double sigma = 0.1;       // the spread of log(render time): log-normal around `predicted`
  TimeMs last_poll_at = 0;  // running: when it was last polled (submitted_at if never)
  int position = 0;
  int take = 1;
  // false for another batch's task at the same API: it holds a slot and is polled so the slot is
  // freed when it ends, but this run does not wait for it to end.
  bool ours = true;
  bool hinted = false;  // running: a callback says it may have ended; poll it first, now
};

struct PlanInput {
  TimeMs now = 0;
  TimeMs budget_at = 0;    // the earliest time an API request may be sent
  TimeMs poll_at = 0;      // the earliest time a status poll may be sent (RateLimiter::next_deferrable)
  bool may_submit = true;  // false once credits ran out or a stop was asked for
  int max_concurrent = 10;
  int unseen_tasks = 0;  // slots held by tasks that may exist at the API without our knowing
                         // their taskId (submits whose fate is unknown): they count as running
  bool downloads_pending = false;
  const std::vector<PlanJob>* jobs = nullptr;
};

enum class ActionKind { submit, poll, wait, done };

struct Action {
  ActionKind kind = ActionKind::done;
  size_t job = 0;    // submit / poll: index into PlanInput::jobs
  TimeMs until = 0;  // wait: until then (the runner may wake earlier for downloads or signals)
};

Action plan_next(const PlanInput& in);

}  // namespace reelq
