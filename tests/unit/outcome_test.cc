// What each kind of answer means for a take (sched/outcome.h): a table per kind of request.
#include "sched/outcome.h"

#include <doctest/doctest.h>

using namespace reelq;

namespace {

constexpr TimeMs k_now = 1'000'000;

struct Fixture {
  OutcomeRules rules;
  RenderEstimate estimate{60'000, 40'000, 90'000, 0.2, true};
  Backoff backoff{1000, 60'000, 7};
  Fixture() {
    rules.max_attempts = 3;
    rules.not_found_stretch = 600'000;
    rules.timing.poll_initial = 30'000;
    rules.timing.poll_interval = 10'000;
    rules.timing.render_deadline = 3'600'000;
    rules.timing.overdue_cap = 60'000;
  }
};

RunJob submitting(int attempts = 0) {
  RunJob j;
  j.row.id = 1;
  j.row.job_id = "shot";
  j.row.state = JobState::submitting;
  j.row.attempts = attempts;
  return j;
}

RunJob running(TimeMs submitted_at = k_now - 100'000) {
  RunJob j;
  j.row.id = 1;
  j.row.job_id = "shot";
  j.row.state = JobState::running;
  j.row.task_id = "t-1";
  j.row.submitted_at = submitted_at;
  return j;
}

Answer answer(AnswerKind kind, std::string message = "m") {
  Answer a;
  a.kind = kind;
  a.message = std::move(message);
  return a;
}

StatusResult status_of(TaskState state) {
  StatusResult r{answer(AnswerKind::ok), TaskStatus{}};
  r.status->task_id = "t-1";
  r.status->state = state;
  return r;
}

}  // namespace

TEST_CASE("submit answers: what each kind does to the take") {
  Fixture f;
  struct Row {
    AnswerKind kind;
    JobState state;
    int attempts;
    bool hold_slot;
    bool credits_out;
    const char* fail_code;
  };
  const Row table[] = {
      {AnswerKind::ok, JobState::running, 1, false, false, ""},
      // Not the job's fault: back in line, no attempt counted.
      {AnswerKind::rate_limited, JobState::queued, 0, false, false, ""},
      {AnswerKind::unreachable, JobState::queued, 0, false, false, ""},
      {AnswerKind::unauthorized, JobState::queued, 0, false, false, ""},
      {AnswerKind::credits_exhausted, JobState::queued, 0, false, true, ""},
      // The job's own fault: failed, not retried.
      {AnswerKind::invalid_request, JobState::failed, 1, false, false, "INVALID_REQUEST"},
      // May have made a task: retried after a backoff, holding a slot meanwhile.
      {AnswerKind::ambiguous, JobState::queued, 1, true, false, ""},
      {AnswerKind::transient, JobState::queued, 1, false, false, ""},
      // Made a task that cannot be named: held, never resubmitted.
      {AnswerKind::created_unnamed, JobState::failed, 1, true, false, "TASK_ID_UNUSABLE"},
  };
  for (const Row& row : table) {
    CAPTURE(to_string(row.kind));
    RunJob j = submitting();
    SubmitResult r{answer(row.kind), row.kind == AnswerKind::ok ? "t-9" : ""};
    Outcome o = submit_outcome(j, r, k_now, f.estimate, f.rules, f.backoff);
    CHECK(j.row.state == row.state);
    CHECK(o.update.state == row.state);
    CHECK(j.row.attempts == row.attempts);
    CHECK(o.hold_slot == row.hold_slot);
    CHECK(o.credits_out == row.credits_out);
    CHECK(o.update.fail_code.value_or("") == row.fail_code);
    CHECK(o.event.endpoint == "generateTask");
    CHECK_FALSE(o.start_download);
  }
}

TEST_CASE("a submit's taskId is in the update that stores it, and the first poll is not before the fast renders") {
  Fixture f;
  RunJob j = submitting();
  Outcome o = submit_outcome(j, {answer(AnswerKind::ok), "t-9"}, k_now, f.estimate, f.rules, f.backoff);
  CHECK(o.update.task_id.value_or("") == "t-9");
  CHECK(o.update.submitted_at.value_or(0) == k_now);
  CHECK(*o.update.next_at >= k_now + f.estimate.early);
  CHECK(*o.update.next_at <= k_now + f.rules.timing.render_deadline);
}

TEST_CASE("an ambiguous submit is flagged as a possible charge; with attempts spent or --on-ambiguous=hold it fails") {
  Fixture f;
  RunJob j = submitting();
  Outcome o = submit_outcome(j, {answer(AnswerKind::ambiguous), ""}, k_now, f.estimate, f.rules, f.backoff);
  CHECK(o.update.ambiguous.value_or(false));
  CHECK(*o.update.next_at > k_now);

  RunJob last = submitting(2);
  o = submit_outcome(last, {answer(AnswerKind::ambiguous), ""}, k_now, f.estimate, f.rules, f.backoff);
  CHECK(o.update.fail_code.value_or("") == "RETRIES_EXHAUSTED");

  f.rules.on_ambiguous = OnAmbiguous::hold;
  RunJob held = submitting();
  o = submit_outcome(held, {answer(AnswerKind::ambiguous), ""}, k_now, f.estimate, f.rules, f.backoff);
  CHECK(o.update.fail_code.value_or("") == "AMBIGUOUS_SUBMIT");
  CHECK(o.hold_slot);
}

TEST_CASE("status answers: what each kind does to a running take") {
  Fixture f;
  SUBCASE("success: downloading, its render time learned, the slot freed") {
    RunJob j = running();
    StatusResult r = status_of(TaskState::success);
    r.status->result_urls = {"https://cdn.example/v.mp4"};
    Outcome o = status_outcome(j, r, k_now, f.estimate, f.rules, f.backoff);
    CHECK(j.row.state == JobState::downloading);
    CHECK(o.start_download);
    CHECK(o.task_ended);
    CHECK(o.learned.has_value());
    CHECK(o.update.result_urls.value_or("").find("v.mp4") != std::string::npos);
  }
  SUBCASE("failed: the API's code kept, the slot freed") {
    RunJob j = running();
    StatusResult r = status_of(TaskState::failed);
    r.status->fail_code = "CONTENT_VIOLATION";
    Outcome o = status_outcome(j, r, k_now, f.estimate, f.rules, f.backoff);
    CHECK(j.row.state == JobState::failed);
    CHECK(o.update.fail_code.value_or("") == "CONTENT_VIOLATION");
    CHECK(o.task_ended);
  }
  SUBCASE("still rendering: the next look is scheduled, nothing else") {
    RunJob j = running();
    Outcome o = status_outcome(j, status_of(TaskState::processing), k_now, f.estimate, f.rules, f.backoff);
    CHECK(j.row.state == JobState::running);
    CHECK(*o.update.next_at > k_now);
    CHECK_FALSE(o.task_ended);
    CHECK(j.row.last_poll_at == k_now);
  }
  SUBCASE("still rendering past the deadline: timed out with the taskId kept") {
    RunJob j = running(k_now - f.rules.timing.render_deadline);
    Outcome o = status_outcome(j, status_of(TaskState::processing), k_now, f.estimate, f.rules, f.backoff);
    CHECK(o.timed_out);
    CHECK(o.update.fail_code.value_or("") == "RENDER_TIMEOUT");
    CHECK_FALSE(o.update.task_id.has_value());  // not wiped
  }
  SUBCASE("a poll error never fails the take: asked again later") {
    RunJob j = running();
    Outcome o = status_outcome(j, {answer(AnswerKind::transient), std::nullopt}, k_now, f.estimate, f.rules, f.backoff);
    CHECK(j.row.state == JobState::running);
    CHECK(*o.update.next_at > k_now);
    CHECK(j.poll_errors == 1);
  }
  SUBCASE("unreachable is no look at the task: no counter moves") {
    RunJob j = running();
    Outcome o =
        status_outcome(j, {answer(AnswerKind::unreachable), std::nullopt}, k_now, f.estimate, f.rules, f.backoff);
    CHECK(j.poll_errors == 0);
    CHECK(j.row.last_poll_at == 0);
    CHECK_FALSE(o.update.state.has_value());
  }
  SUBCASE("an unusable answer is asked again, then the take fails with its taskId kept") {
    RunJob j = running();
    Answer a = answer(AnswerKind::unusable, "names another task");
    a.fail_code = "STATUS_MISMATCH";
    Outcome o;
    for (int k = 0; k < 3; ++k) {
      o = status_outcome(j, {a, std::nullopt}, k_now + k, f.estimate, f.rules, f.backoff);
    }
    CHECK(j.row.state == JobState::failed);
    CHECK(o.update.fail_code.value_or("") == "STATUS_MISMATCH");
    CHECK(o.update.fail_msg->find("without resubmitting") != std::string::npos);
  }
}

TEST_CASE("404s fail a known task only after a long stretch, never within seconds") {
  Fixture f;
  RunJob j = running();
  StatusResult nf{answer(AnswerKind::not_found), std::nullopt};
  for (int k = 0; k < 5; ++k) {
    status_outcome(j, nf, k_now + k * 300, f.estimate, f.rules, f.backoff);
  }
  CHECK(j.row.state == JobState::running);
  SUBCASE("any other answer ends the streak") {
    status_outcome(j, status_of(TaskState::processing), k_now + 2000, f.estimate, f.rules, f.backoff);
    Outcome o = status_outcome(j, nf, k_now + f.rules.not_found_stretch + 3000, f.estimate, f.rules, f.backoff);
    CHECK(j.row.state == JobState::running);
  }
  SUBCASE("404s over the whole stretch: lost") {
    Outcome o = status_outcome(j, nf, k_now + f.rules.not_found_stretch, f.estimate, f.rules, f.backoff);
    CHECK(j.row.state == JobState::failed);
    CHECK(o.update.fail_code.value_or("") == "TASK_NOT_FOUND");
  }
}

TEST_CASE("a 429's event says which cap refused it") {
  Fixture f;
  RunJob j = submitting();
  Answer a = answer(AnswerKind::rate_limited, "Concurrent task limit exceeded");
  a.limit = Limit::concurrency;
  CHECK(submit_outcome(j, {a, ""}, k_now, f.estimate, f.rules, f.backoff).event.outcome == "concurrency_limited");
  a.limit = Limit::rate;
  RunJob k = submitting();
  CHECK(submit_outcome(k, {a, ""}, k_now, f.estimate, f.rules, f.backoff).event.outcome == "rate_limited");
}
