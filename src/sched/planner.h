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
//     `budget_at` (and `submit_at` after a concurrency 429). A callback's hint outranks every
//     guess, oldest hint first. After a refused submit, a due poll goes first.
//  3. Otherwise wait for the earliest moment something can be done.
//
// It reads the batch's heads, never the whole batch (sched/job_table.h builds them): a turn costs
// O(render classes + tasks at the API), so a batch of 100,000 jobs plans as fast as one of 100.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "queue/job_state.h"
#include "util/clock.h"
#include "util/never.h"

namespace reelq {

// How many rounds before the end the remainder is planned as a whole (src/sched/endgame.h).
inline constexpr int k_endgame_rounds = 4;

// A job as the planner sees it: a task at the API, or a queued job.
struct PlanJob {
  size_t index = 0;  // the caller's own index for the job, returned in Action::job
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
  // running: 0, or the order in which a callback's hint for it arrived. Hinted tasks are polled
  // first, the oldest hint first, one status query per hint: hints for one task cannot crowd out
  // the others'.
  std::uint64_t hint = 0;
  bool in_flight = false;  // a request about it is on the wire: nothing more until it is answered
};

struct PlanInput {
  TimeMs now = 0;
  TimeMs budget_at = 0;    // the earliest time an API request may be sent
  TimeMs poll_at = 0;      // the earliest time a status poll may be sent (RequestWindow::next_deferrable)
  TimeMs submit_at = 0;    // the earliest time a submit may be sent (after a concurrency 429)
  bool may_submit = true;  // false once credits ran out or a stop was asked for
  int max_concurrent = 10;
  int unseen_tasks = 0;  // slots held by tasks that may exist at the API without our knowing
                         // their taskId (submits whose fate is unknown): they count as running
  bool downloads_pending = false;
  // The last submit was refused (429): a due poll goes before the next submit, so refused submits
  // never starve the polls of tasks that may have ended.
  bool polls_first = false;

  // The batch's heads:
  std::vector<PlanJob> at_api;     // running and submitting, ours and other batches'
  std::vector<PlanJob> ready;      // the first ready queued job of each render class
  int queued = 0;                  // our queued jobs, ready or backing off
  TimeMs next_ready_at = k_never;  // when the first job backing off is ready
  std::vector<PlanJob> endgame;    // every queued job, once queued <= k_endgame_rounds * all slots

  // With a pool of keys (sched/key_lane.h) this input is one key's; the end game plans over the
  // pool: the other keys' slots (of keys that take work), how many of them are free, and their tasks.
  int slots_elsewhere = 0;
  int free_elsewhere = 0;
  std::vector<PlanJob> elsewhere;
};

enum class ActionKind { submit, poll, wait, done };

struct Action {
  ActionKind kind = ActionKind::done;
  size_t job = 0;    // submit / poll: PlanJob::index
  TimeMs until = 0;  // wait: until then, k_never: until something arrives (an answer, a hint, a download)
};

Action plan_next(const PlanInput& in);

}  // namespace reelq
