#include "sched/planner.h"

#include <cmath>
#include <limits>
#include <optional>
#include <tuple>

#include "sched/endgame.h"

namespace reelq {

namespace {

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
  busy_until.insert(busy_until.end(), static_cast<size_t>(std::max(0, in.free_elsewhere)), in.now);
  for (const auto* tasks : {&in.at_api, &in.elsewhere}) {
    for (const PlanJob& j : *tasks) {
      busy_until.push_back(j.state == JobState::running ? expected_end(j, in.now) : in.now + j.predicted);
    }
  }
  std::vector<TimeMs> lengths;
  for (const PlanJob& j : in.endgame) {
    lengths.push_back(j.predicted);
  }
  TimeMs length = lengths[choose_endgame_job(in.now, busy_until, lengths)];
  const PlanJob* pick = nullptr;
  for (const PlanJob& j : in.endgame) {
    if (j.predicted == length && j.next_at <= in.now &&
        (!pick || std::tie(j.position, j.take) < std::tie(pick->position, pick->take))) {
      pick = &j;
    }
  }
  return pick ? std::optional<size_t>(pick->index) : std::nullopt;
}

// Longest first, ties in manifest order.
bool runs_longer(const PlanJob& a, const PlanJob& b) {
  return std::make_tuple(-a.predicted, a.position, a.take) < std::make_tuple(-b.predicted, b.position, b.take);
}

// Which of two due tasks to poll first: a hinted one before any guess, the older hint first;
// among guesses, the one most likely to have ended since it was last looked at.
struct PollChoice {
  const PlanJob* job = nullptr;
  double score = -1;
};
void consider_poll(PollChoice& best, const PlanJob& j, TimeMs now) {
  // Scores are chances (at most 1); a hint scores above every chance, and an older hint higher.
  double score = j.hint ? 2.0 + 1.0 / static_cast<double>(j.hint) : chance_done_since_last_look(j, now);
  if (score > best.score) {
    best = {&j, score};
  }
}

}  // namespace

Action plan_next(const PlanInput& in) {
  int active = 0;       // slots held, whoever's task holds them
  int active_ours = 0;  // of them, this batch's: the run ends when these have
  for (const PlanJob& j : in.at_api) {
    ++active;
    active_ours += j.ours ? 1 : 0;
  }
  const bool work_left = in.downloads_pending || active_ours > 0 || (in.queued > 0 && in.may_submit);
  if (!work_left) {
    return {ActionKind::done, 0, 0};  // another batch's task is polled only while it stands between us and a slot
  }
  // Tasks that may exist unseen take slots from submits, but are no work of ours to wait for.
  const bool slot_free = active + in.unseen_tasks < in.max_concurrent;
  const bool submits_open = in.may_submit && slot_free;
  TimeMs next_event = k_never;

  PollChoice poll;
  for (const PlanJob& j : in.at_api) {
    if (j.state != JobState::running || j.in_flight) {
      continue;
    }
    if (j.next_at > in.now && !j.hint) {
      next_event = std::min(next_event, j.next_at);
      continue;
    }
    consider_poll(poll, j, in.now);
  }

  const PlanJob* submit = nullptr;  // best queued job ready now
  if (submits_open) {
    for (const PlanJob& j : in.ready) {
      if (!submit || runs_longer(j, *submit)) {
        submit = &j;
      }
    }
    next_event = std::min(next_event, in.next_ready_at);
    if (submit && in.submit_at > in.now) {
      next_event = std::min(next_event, in.submit_at);  // blocked by a concurrency 429 for a moment
      submit = nullptr;
    }
  }
  if (poll.job && in.polls_first && in.budget_at <= in.now) {
    return {ActionKind::poll, poll.job->index, 0};
  }
  if (submit) {
    if (in.budget_at > in.now) {
      return {ActionKind::wait, 0, in.budget_at};
    }
    size_t pick = submit->index;
    if (in.queued <= k_endgame_rounds * (in.max_concurrent + in.slots_elsewhere) && !in.endgame.empty()) {
      pick = endgame_choice(in, in.max_concurrent - in.unseen_tasks - active).value_or(pick);
    }
    return {ActionKind::submit, pick, 0};
  }
  if (poll.job) {
    TimeMs at = std::max(in.budget_at, in.poll_at);
    return at > in.now ? Action{ActionKind::wait, 0, at} : Action{ActionKind::poll, poll.job->index, 0};
  }
  // Nothing due (tasks with a request on the wire, downloads): wait for whatever arrives.
  return {ActionKind::wait, 0, next_event == k_never ? k_never : std::max(next_event, in.budget_at)};
}

}  // namespace reelq
