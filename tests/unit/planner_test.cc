#include "sched/planner.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <tuple>

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

PlanInput input(TimeMs now = 10000) {
  PlanInput in;
  in.now = now;
  in.budget_at = now;
  return in;
}

// What the run's job table hands the planner, built from a plain list: each job's index is its
// place in the list, and jobs of the same predicted length stand for one render class.
Action plan(const std::vector<PlanJob>& jobs, PlanInput in) {
  std::map<TimeMs, PlanJob> heads;  // by class
  for (size_t i = 0; i < jobs.size(); ++i) {
    PlanJob j = jobs[i];
    j.index = i;
    if (j.state == JobState::running || j.state == JobState::submitting) {
      in.at_api.push_back(j);
    } else if (j.state == JobState::queued && j.ours) {
      ++in.queued;
      if (j.next_at > in.now) {
        in.next_ready_at = std::min(in.next_ready_at, j.next_at);
      } else if (auto h = heads.find(j.predicted);
                 h == heads.end() || std::tie(j.position, j.take) < std::tie(h->second.position, h->second.take)) {
        heads[j.predicted] = j;
      }
    }
  }
  for (const auto& [length, j] : heads) {
    in.ready.push_back(j);
  }
  if (in.queued <= k_endgame_rounds * in.max_concurrent) {
    for (size_t i = 0; i < jobs.size(); ++i) {
      if (jobs[i].state == JobState::queued && jobs[i].ours) {
        in.endgame.push_back(jobs[i]);
        in.endgame.back().index = i;
      }
    }
  }
  return plan_next(in);
}

}  // namespace

TEST_CASE("until the last rounds, a free slot starts the longest job, ties in manifest order") {
  std::vector<PlanJob> jobs;
  for (TimeMs len : {1000, 3000, 3000, 2000, 1000, 1000, 1000}) {
    jobs.push_back(job(JobState::queued, len, static_cast<int>(jobs.size())));
  }
  PlanInput in = input();
  in.max_concurrent = 1;  // seven queued, more than six rounds: not yet the end game
  Action a = plan(jobs, in);
  CHECK(a.kind == ActionKind::submit);
  CHECK(a.job == 1);
}

TEST_CASE("in the last rounds the remainder is planned: the free slot starts what ends the batch soonest") {
  // One slot is free now and the other's task should end in about 10 s. Longest-first would start
  // the 60 s job now and end at 110 s (60 now, 50 + 50 on the other slot... or 60 | 50, 50: 110);
  // two 50s here and the 60 there end at 100 s and 70 s.
  std::vector<PlanJob> jobs = {job(JobState::queued, 60000, 0), job(JobState::queued, 50000, 1),
                               job(JobState::queued, 50000, 2), job(JobState::running, 100000, 3)};
  PlanInput in = input(1'000'000);
  jobs[3].submitted_at = in.now - 90000;
  jobs[3].last_poll_at = in.now;
  jobs[3].next_at = in.now + 5000;
  in.max_concurrent = 2;
  Action a = plan(jobs, in);
  CHECK(a.kind == ActionKind::submit);
  CHECK(a.job == 1);

  SUBCASE("the planned job backing off: the longest ready one goes instead") {
    jobs[1].next_at = jobs[2].next_at = in.now + 1000;
    CHECK(plan(jobs, in).job == 0);
  }
}

TEST_CASE("a poll waits for the paced budget; a submit does not") {
  std::vector<PlanJob> jobs = {job(JobState::running, 1000, 0), job(JobState::queued, 1000, 1)};
  PlanInput in = input();
  jobs[0].submitted_at = in.now - 2000;  // surely done: due and worth a poll
  jobs[0].last_poll_at = jobs[0].submitted_at;
  in.max_concurrent = 2;
  in.poll_at = in.now + 700;
  CHECK(plan(jobs, in).kind == ActionKind::submit);
  in.max_concurrent = 1;  // no free slot: only the poll is left, and it waits
  Action a = plan(jobs, in);
  CHECK(a.kind == ActionKind::wait);
  CHECK(a.until == in.now + 700);
  in.poll_at = in.now;
  CHECK(plan(jobs, in).kind == ActionKind::poll);
}

TEST_CASE("tasks that may exist unseen take slots from submits") {
  std::vector<PlanJob> jobs = {job(JobState::queued)};
  PlanInput in = input();
  in.max_concurrent = 2;
  in.unseen_tasks = 2;
  CHECK(plan(jobs, in).kind == ActionKind::wait);
  in.unseen_tasks = 1;
  CHECK(plan(jobs, in).kind == ActionKind::submit);
}

TEST_CASE("tasks that may exist unseen do not keep a finished batch waiting") {
  std::vector<PlanJob> jobs = {job(JobState::succeeded), job(JobState::failed)};
  PlanInput in = input();
  in.unseen_tasks = 3;
  CHECK(plan(jobs, in).kind == ActionKind::done);
}

TEST_CASE("pending downloads keep the run alive; nothing left ends it") {
  std::vector<PlanJob> jobs = {job(JobState::succeeded)};
  PlanInput in = input();
  in.downloads_pending = true;
  CHECK(plan(jobs, in).kind == ActionKind::wait);
  in.downloads_pending = false;
  CHECK(plan(jobs, in).kind == ActionKind::done);
}

TEST_CASE("no request before the budget allows one") {
  std::vector<PlanJob> jobs = {job(JobState::queued)};
  PlanInput in = input();
  in.budget_at = in.now + 500;
  Action a = plan(jobs, in);
  CHECK(a.kind == ActionKind::wait);
  CHECK(a.until == in.now + 500);
}

TEST_CASE("another batch's running task holds a slot and is polled, but the batch does not wait for it") {
  PlanJob theirs = job(JobState::running, 1000, 0);
  theirs.ours = false;
  theirs.submitted_at = 0;
  std::vector<PlanJob> jobs = {theirs, job(JobState::queued, 1000, 1)};
  PlanInput in = input();
  in.max_concurrent = 1;
  Action a = plan(jobs, in);
  CHECK(a.kind == ActionKind::poll);  // the only slot is theirs: no submit, find out when it frees
  CHECK(a.job == 0);

  jobs[1].state = JobState::succeeded;  // our batch is done: their task is no reason to stay
  CHECK(plan(jobs, in).kind == ActionKind::done);
}

TEST_CASE("hinted tasks are polled before any guess, the oldest hint first") {
  std::vector<PlanJob> jobs;
  for (int k = 0; k < 3; ++k) {
    jobs.push_back(job(JobState::running, 100000, k));
    jobs.back().submitted_at = 0;
    jobs.back().last_poll_at = 0;
  }
  PlanInput in = input(200000);  // every task long overdue: each is a strong guess
  in.max_concurrent = 3;
  jobs[1].hint = 7;
  jobs[2].hint = 3;
  CHECK(plan(jobs, in).job == 2);
  jobs[2].hint = 0;  // polled: its hint is spent
  CHECK(plan(jobs, in).job == 1);
  SUBCASE("a hinted task not yet due is still polled: the hint is the news") {
    jobs[1].next_at = in.now + 60000;
    CHECK(plan(jobs, in).job == 1);
  }
}

TEST_CASE("a task with a request on the wire gets no second one") {
  std::vector<PlanJob> jobs = {job(JobState::running, 1000, 0), job(JobState::running, 1000, 1)};
  jobs[0].submitted_at = jobs[1].submitted_at = 0;
  jobs[0].hint = 1;
  jobs[0].in_flight = true;
  PlanInput in = input();
  in.max_concurrent = 2;
  Action a = plan(jobs, in);
  CHECK(a.kind == ActionKind::poll);
  CHECK(a.job == 1);
  jobs[1].in_flight = true;
  CHECK(plan(jobs, in).kind == ActionKind::wait);
}

TEST_CASE("after a refused submit a due poll goes first, even ahead of its pacing") {
  std::vector<PlanJob> jobs = {job(JobState::running, 1000, 0), job(JobState::queued, 1000, 1)};
  jobs[0].submitted_at = 0;
  PlanInput in = input();
  in.max_concurrent = 2;
  in.poll_at = in.now + 5000;
  CHECK(plan(jobs, in).kind == ActionKind::submit);
  in.polls_first = true;
  Action a = plan(jobs, in);
  CHECK(a.kind == ActionKind::poll);
  CHECK(a.job == 0);
  SUBCASE("but never ahead of the rate budget") {
    in.budget_at = in.now + 100;
    CHECK(plan(jobs, in).kind == ActionKind::wait);
  }
}

TEST_CASE("while submits are blocked (a concurrency 429), polls go on and the wait ends when they may resume") {
  std::vector<PlanJob> jobs = {job(JobState::running, 100000, 0), job(JobState::queued, 1000, 1)};
  jobs[0].submitted_at = jobs[0].last_poll_at = 9000;
  PlanInput in = input();
  in.max_concurrent = 2;
  in.submit_at = in.now + 3000;
  jobs[0].next_at = in.now + 1000;
  Action a = plan(jobs, in);
  CHECK(a.kind == ActionKind::wait);
  CHECK(a.until == in.now + 1000);  // the poll comes due first
  jobs[0].next_at = in.now + 9000;
  CHECK(plan(jobs, in).until == in.now + 3000);
  jobs[0].next_at = in.now;
  CHECK(plan(jobs, in).kind == ActionKind::poll);
}
