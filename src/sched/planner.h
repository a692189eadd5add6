#pragma once
// Decides the runner's next action from a snapshot of the batch, the time and the request budget.
// Pure: no I/O, no clock; the runner carries the action out (ninja's Plan beside its Builder).
//
// The policy, in order:
//  1. Keep every slot full: a free slot and a queued job means submit, longest predicted render
//     first (so the batch's tail is made of short jobs), then manifest order.
//  2. Otherwise spend the budget on the running task most likely to have finished: the one whose
//     time since submit is the largest share of its predicted render time, among those due.
//  3. Otherwise wait for the earliest moment something can be done.
#include <cstddef>
#include <vector>

#include "queue/job_state.h"
#include "util/clock.h"

namespace reelq {

struct PlanJob {
  JobState state = JobState::queued;
  TimeMs next_at = 0;       // queued: not before (backoff); running: next poll
  TimeMs submitted_at = 0;
  TimeMs predicted = 1;     // predicted render time, ms
  int position = 0;
  int take = 1;
};

struct PlanInput {
  TimeMs now = 0;
  TimeMs budget_at = 0;     // the earliest time an API request may be sent
  bool may_submit = true;   // false once credits ran out or a stop was asked for
  int max_concurrent = 10;
  bool downloads_pending = false;
  const std::vector<PlanJob>* jobs = nullptr;
};

enum class ActionKind { submit, poll, wait, done };

struct Action {
  ActionKind kind = ActionKind::done;
  size_t job = 0;     // submit / poll: index into PlanInput::jobs
  TimeMs until = 0;   // wait: until then (the runner may wake earlier for downloads or signals)
};

Action plan_next(const PlanInput& in);

}  // namespace reelq
