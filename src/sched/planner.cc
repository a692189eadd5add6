#include "sched/planner.h"

#include <limits>
#include <optional>
#include <tuple>

namespace reelq {

namespace {

constexpr TimeMs k_never = std::numeric_limits<TimeMs>::max();

}  // namespace

Action plan_next(const PlanInput& in) {
  const auto& jobs = *in.jobs;
  int active = 0;
  for (const auto& j : jobs) {
    active += j.state == JobState::running || j.state == JobState::submitting ? 1 : 0;
  }
  const bool slot_free = active < in.max_concurrent;

  std::optional<size_t> submit;  // best queued job ready now
  std::optional<size_t> poll;    // best running task due now
  double best_poll_score = -1;
  TimeMs next_event = k_never;
  bool work_left = in.downloads_pending || active > 0;
  for (size_t i = 0; i < jobs.size(); ++i) {
    const PlanJob& j = jobs[i];
    if (j.state == JobState::queued && in.may_submit) {
      work_left = true;
      if (!slot_free) {
        continue;  // a poll will free a slot first
      }
      if (j.next_at > in.now) {
        next_event = std::min(next_event, j.next_at);
      } else if (!submit || std::make_tuple(-j.predicted, j.position, j.take) <
                                std::make_tuple(-jobs[*submit].predicted, jobs[*submit].position, jobs[*submit].take)) {
        submit = i;
      }
    } else if (j.state == JobState::running) {
      if (j.next_at > in.now) {
        next_event = std::min(next_event, j.next_at);
        continue;
      }
      double score = static_cast<double>(in.now - j.submitted_at) / static_cast<double>(std::max<TimeMs>(1, j.predicted));
      if (score > best_poll_score) {
        best_poll_score = score;
        poll = i;
      }
    }
  }
  if (submit || poll) {
    if (in.budget_at > in.now) {
      return {ActionKind::wait, 0, in.budget_at};
    }
    return submit ? Action{ActionKind::submit, *submit, 0} : Action{ActionKind::poll, *poll, 0};
  }
  if (!work_left) {
    return {ActionKind::done, 0, 0};
  }
  return {ActionKind::wait, 0, next_event == k_never ? in.now : std::max(next_event, in.budget_at)};
}

}  // namespace reelq
