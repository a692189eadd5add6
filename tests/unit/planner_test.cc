#include "sched/planner.h"

#include <doctest/doctest.h>

using namespace reelq;

namespace {

PlanJob job(JobState state, TimeMs predicted = 1000, int position = 0) {
  PlanJob j;
  j.state = state;
  j.predicted = predicted;
  j.spread = predicted / 10;
  j.position = position;
  return j;
}

PlanInput input(const std::vector<PlanJob>& jobs, TimeMs now = 10000) {
  PlanInput in;
  in.now = now;
  in.budget_at = now;
  in.jobs = &jobs;
  return in;
}

}  // namespace

TEST_CASE("a free slot and a queued job: submit the longest that fits, else the shortest") {
  std::vector<PlanJob> jobs = {job(JobState::queued, 1000, 0), job(JobState::queued, 3000, 1)};
  PlanInput in = input(jobs);
  in.max_concurrent = 1;  // the batch ends after 4000 ms of work: both fit
  Action a = plan_next(in);
  CHECK(a.kind == ActionKind::submit);
  CHECK(a.job == 1);
  in.max_concurrent = 10;  // 400 ms per slot: neither fits, the tail gets the short one
  CHECK(plan_next(in).job == 0);
}

TEST_CASE("tasks that may exist unseen take slots from submits") {
  std::vector<PlanJob> jobs = {job(JobState::queued)};
  PlanInput in = input(jobs);
  in.max_concurrent = 2;
  in.unseen_tasks = 2;
  CHECK(plan_next(in).kind == ActionKind::wait);
  in.unseen_tasks = 1;
  CHECK(plan_next(in).kind == ActionKind::submit);
}

TEST_CASE("tasks that may exist unseen do not keep a finished batch waiting") {
  std::vector<PlanJob> jobs = {job(JobState::succeeded), job(JobState::failed)};
  PlanInput in = input(jobs);
  in.unseen_tasks = 3;
  CHECK(plan_next(in).kind == ActionKind::done);
}

TEST_CASE("pending downloads keep the run alive; nothing left ends it") {
  std::vector<PlanJob> jobs = {job(JobState::succeeded)};
  PlanInput in = input(jobs);
  in.downloads_pending = true;
  CHECK(plan_next(in).kind == ActionKind::wait);
  in.downloads_pending = false;
  CHECK(plan_next(in).kind == ActionKind::done);
}

TEST_CASE("no request before the budget allows one") {
  std::vector<PlanJob> jobs = {job(JobState::queued)};
  PlanInput in = input(jobs);
  in.budget_at = in.now + 500;
  Action a = plan_next(in);
  CHECK(a.kind == ActionKind::wait);
  CHECK(a.until == in.now + 500);
}
