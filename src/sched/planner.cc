#include "sched/planner.h"

#include <cmath>
#include <limits>
#include <optional>
#include <tuple>

namespace reelq {

namespace {

constexpr TimeMs k_never = std::numeric_limits<TimeMs>::max();

double normal_cdf(double x) {
  return 0.5 * std::erfc(-x / std::sqrt(2.0));
}

// The chance that a running task finished between its last poll and now, given it had not then.
double chance_done_since_last_look(const PlanJob& j, TimeMs now) {
  double mu = static_cast<double>(j.predicted);
  double sigma = std::max(static_cast<double>(j.spread), 0.05 * mu);
  double before = normal_cdf((static_cast<double>(j.last_poll_at - j.submitted_at) - mu) / sigma);
  double after = normal_cdf((static_cast<double>(now - j.submitted_at) - mu) / sigma);
  double left = 1.0 - before;
  if (left < 1e-9) {
    return 1.0;  // long overdue: as likely done as anything can be
  }
  return (after - before) / left;
}

}  // namespace

Action plan_next(const PlanInput& in) {
  const auto& jobs = *in.jobs;
  int active = 0;
  for (const auto& j : jobs) {
    active += j.state == JobState::running || j.state == JobState::submitting ? 1 : 0;
  }
  // Tasks that may exist unseen take slots from submits, but are no work of ours to wait for.
  const bool slot_free = active + in.unseen_tasks < in.max_concurrent;

  // The projected end: all remaining work, spread evenly over the slots.
  double remaining = 0;
  for (const auto& j : jobs) {
    if (j.state == JobState::queued && in.may_submit) {
      remaining += static_cast<double>(j.predicted);
    } else if (j.state == JobState::running || j.state == JobState::submitting) {
      remaining += static_cast<double>(std::max<TimeMs>(0, j.predicted - (in.now - j.submitted_at)));
    }
  }
  const double fits_until = remaining / std::max(1, in.max_concurrent);
  // Longest that fits beats anything that does not; among those that do not, shortest first.
  auto better = [&](const PlanJob& a, const PlanJob& b) {
    bool a_fits = static_cast<double>(a.predicted) <= fits_until;
    bool b_fits = static_cast<double>(b.predicted) <= fits_until;
    if (a_fits != b_fits) {
      return a_fits;
    }
    TimeMs ka = a_fits ? -a.predicted : a.predicted;
    TimeMs kb = b_fits ? -b.predicted : b.predicted;
    return std::make_tuple(ka, a.position, a.take) < std::make_tuple(kb, b.position, b.take);
  };

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
      } else if (!submit || better(j, jobs[*submit])) {
        submit = i;
      }
    } else if (j.state == JobState::running) {
      if (j.next_at > in.now) {
        next_event = std::min(next_event, j.next_at);
        continue;
      }
      double score = chance_done_since_last_look(j, in.now);
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
