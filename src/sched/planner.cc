#include "sched/planner.h"

#include <cmath>
#include <limits>
#include <optional>
#include <tuple>

#include "sched/endgame.h"

namespace reelq {

namespace {

constexpr TimeMs k_never = std::numeric_limits<TimeMs>::max();
// How many rounds before the end the remainder is planned as a whole (src/sched/endgame.h).
constexpr int k_endgame_rounds = 4;
// The least spread assumed for a render time (log sd): a model that has seen only identical
// renders must not claim to know the next one to the millisecond.
constexpr double k_min_sigma = 0.03;

double normal_cdf(double x) {
  return 0.5 * std::erfc(-x / std::sqrt(2.0));
}

// The chance that a render of this job is done `elapsed` after its submit (log-normal).
double done_by(const PlanJob& j, TimeMs elapsed) {
  if (elapsed <= 0) {
    return 0;
  }
  double sigma = std::max(j.sigma, k_min_sigma);
  return normal_cdf(std::log(static_cast<double>(elapsed) / static_cast<double>(j.predicted)) / sigma);
}

// The chance that a running task finished between its last poll and now, given it had not then.
double chance_done_since_last_look(const PlanJob& j, TimeMs now) {
  double before = done_by(j, j.last_poll_at - j.submitted_at);
  double after = done_by(j, now - j.submitted_at);
  double left = 1.0 - before;
  if (left < 1e-9) {
    return 1.0;  // long overdue: as likely done as anything can be
  }
  return (after - before) / left;
}

// When a running task is expected to end, given it has not yet: the log-normal's mean beyond the
// time already elapsed.
TimeMs expected_end(const PlanJob& j, TimeMs now) {
  double elapsed = static_cast<double>(std::max<TimeMs>(1, now - j.submitted_at));
  double median = static_cast<double>(j.predicted);
  double sigma = std::max(j.sigma, k_min_sigma);
  double a = std::log(elapsed / median) / sigma;
  double beyond = 1.0 - normal_cdf(a);
  double mean_beyond = beyond < 1e-9 ? elapsed : median * std::exp(sigma * sigma / 2) * normal_cdf(sigma - a) / beyond;
  return j.submitted_at + static_cast<TimeMs>(std::max(mean_beyond, elapsed));
}

// In the last rounds, the queued job whose start now lets every slot finish soonest
// (src/sched/endgame.h); nothing if that job is not ready (backing off).
std::optional<size_t> endgame_choice(const PlanInput& in, int free_slots) {
  std::vector<TimeMs> busy_until(static_cast<size_t>(std::max(0, free_slots - 1)), in.now);
  std::vector<TimeMs> lengths;
  std::vector<size_t> index;
  for (size_t i = 0; i < in.jobs->size(); ++i) {
    const PlanJob& j = (*in.jobs)[i];
    if (j.state == JobState::running) {
      busy_until.push_back(expected_end(j, in.now));
    } else if (j.state == JobState::submitting) {
      busy_until.push_back(in.now + j.predicted);
    } else if (j.state == JobState::queued) {
      lengths.push_back(j.predicted);
      index.push_back(i);
    }
  }
  TimeMs length = lengths[choose_endgame_job(in.now, busy_until, lengths)];
  std::optional<size_t> pick;
  for (size_t i : index) {
    const PlanJob& j = (*in.jobs)[i];
    if (j.predicted == length && j.next_at <= in.now &&
        (!pick || std::tie(j.position, j.take) < std::tie((*in.jobs)[*pick].position, (*in.jobs)[*pick].take))) {
      pick = i;
    }
  }
  return pick;
}

}  // namespace

Action plan_next(const PlanInput& in) {
  const auto& jobs = *in.jobs;
  int active = 0;       // slots held, whoever's task holds them
  int active_ours = 0;  // of them, this batch's: the run ends when these have
  int queued = 0;
  for (const auto& j : jobs) {
    bool at_api = j.state == JobState::running || j.state == JobState::submitting;
    active += at_api ? 1 : 0;
    active_ours += at_api && j.ours ? 1 : 0;
    queued += j.state == JobState::queued ? 1 : 0;
  }
  // Tasks that may exist unseen take slots from submits, but are no work of ours to wait for.
  const bool slot_free = active + in.unseen_tasks < in.max_concurrent;

  // Longest first (ties in manifest order) until the last rounds, which endgame_choice plans.
  auto better = [](const PlanJob& a, const PlanJob& b) {
    return std::make_tuple(-a.predicted, a.position, a.take) < std::make_tuple(-b.predicted, b.position, b.take);
  };

  std::optional<size_t> submit;  // best queued job ready now
  std::optional<size_t> poll;    // best running task due now
  double best_poll_score = -1;
  TimeMs next_event = k_never;
  const bool work_left = in.downloads_pending || active_ours > 0 || (queued > 0 && in.may_submit);
  for (size_t i = 0; i < jobs.size(); ++i) {
    const PlanJob& j = jobs[i];
    if (!j.ours && !work_left) {
      continue;  // another batch's task is polled only while it stands between us and a slot
    }
    if (j.state == JobState::queued && in.may_submit) {
      if (!slot_free) {
        continue;  // a poll will free a slot first
      }
      if (j.next_at > in.now) {
        next_event = std::min(next_event, j.next_at);
      } else if (!submit || better(j, jobs[*submit])) {
        submit = i;
      }
    } else if (j.state == JobState::running) {
      if (j.next_at > in.now && !j.hinted) {
        next_event = std::min(next_event, j.next_at);
        continue;
      }
      // A callback's hint outranks every guess (scores are chances, at most 1).
      double score = j.hinted ? 2.0 : chance_done_since_last_look(j, in.now);
      if (score > best_poll_score) {
        best_poll_score = score;
        poll = i;
      }
    }
  }
  if (submit) {
    if (in.budget_at > in.now) {
      return {ActionKind::wait, 0, in.budget_at};
    }
    if (queued <= k_endgame_rounds * in.max_concurrent) {
      submit = endgame_choice(in, in.max_concurrent - in.unseen_tasks - active).value_or(*submit);
    }
    return {ActionKind::submit, *submit, 0};
  }
  if (poll) {
    TimeMs at = std::max(in.budget_at, in.poll_at);
    return at > in.now ? Action{ActionKind::wait, 0, at} : Action{ActionKind::poll, *poll, 0};
  }
  if (!work_left) {
    return {ActionKind::done, 0, 0};
  }
  return {ActionKind::wait, 0, next_event == k_never ? in.now : std::max(next_event, in.budget_at)};
}

}  // namespace reelq
