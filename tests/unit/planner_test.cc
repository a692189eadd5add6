#include "sched/planner.h"

#include <doctest/doctest.h>

using namespace reelq;

namespace {

PlanJob job(JobState state, TimeMs predicted = 1000, int position = 0) {
  PlanJob j;
  j.state = state;
  j.predicted = predicted;
  j.sigma = 0.1;
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

TEST_CASE("until the last rounds, a free slot starts the longest job, ties in manifest order") {
  std::vector<PlanJob> jobs;
  for (TimeMs len : {1000, 3000, 3000, 2000, 1000, 1000, 1000}) {
    jobs.push_back(job(JobState::queued, len, static_cast<int>(jobs.size())));
  }
  PlanInput in = input(jobs);
  in.max_concurrent = 1;  // seven queued, more than six rounds: not yet the end game
  Action a = plan_next(in);
  CHECK(a.kind == ActionKind::submit);
  CHECK(a.job == 1);
}

TEST_CASE("in the last rounds the remainder is planned: the free slot starts what ends the batch soonest") {
  // One slot is free now and the other's task should end in about 10 s. Longest-first would start
  // the 60 s job now and end at 110 s (60 now, 50 + 50 on the other slot... or 60 | 50, 50: 110);
  // two 50s here and the 60 there end at 100 s and 70 s.
  std::vector<PlanJob> jobs = {job(JobState::queued, 60000, 0), job(JobState::queued, 50000, 1),
                               job(JobState::queued, 50000, 2), job(JobState::running, 100000, 3)};
  PlanInput in = input(jobs, 1'000'000);
  jobs[3].submitted_at = in.now - 90000;
  jobs[3].last_poll_at = in.now;
  jobs[3].next_at = in.now + 5000;
  in.max_concurrent = 2;
  Action a = plan_next(in);
  CHECK(a.kind == ActionKind::submit);
  CHECK(a.job == 1);

  SUBCASE("the planned job backing off: the longest ready one goes instead") {
    jobs[1].next_at = jobs[2].next_at = in.now + 1000;
    CHECK(plan_next(in).job == 0);
  }
}

TEST_CASE("a poll waits for the paced budget; a submit does not") {
  std::vector<PlanJob> jobs = {job(JobState::running, 1000, 0), job(JobState::queued, 1000, 1)};
  PlanInput in = input(jobs);
  jobs[0].submitted_at = in.now - 2000;  // surely done: due and worth a poll
  jobs[0].last_poll_at = jobs[0].submitted_at;
  in.max_concurrent = 2;
  in.poll_at = in.now + 700;
  CHECK(plan_next(in).kind == ActionKind::submit);
  in.max_concurrent = 1;  // no free slot: only the poll is left, and it waits
  Action a = plan_next(in);
  CHECK(a.kind == ActionKind::wait);
  CHECK(a.until == in.now + 700);
  in.poll_at = in.now;
  CHECK(plan_next(in).kind == ActionKind::poll);
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

TEST_CASE("another batch's running task holds a slot and is polled, but the batch does not wait for it") {
  PlanJob theirs = job(JobState::running, 1000, 0);
  theirs.ours = false;
  theirs.submitted_at = 0;
  std::vector<PlanJob> jobs = {theirs, job(JobState::queued, 1000, 1)};
  PlanInput in = input(jobs);
  in.max_concurrent = 1;
  Action a = plan_next(in);
  CHECK(a.kind == ActionKind::poll);  // the only slot is theirs: no submit, find out when it frees
  CHECK(a.job == 0);

  jobs[1].state = JobState::succeeded;  // our batch is done: their task is no reason to stay
  CHECK(plan_next(in).kind == ActionKind::done);
}
