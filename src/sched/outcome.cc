#include "sched/outcome.h"

#include <fmt/format.h>

#include "sched/render_time.h"
#include "sched/task_lost.h"
#include "sched/unnamed_task.h"
#include "util/json_strings.h"
#include "util/time_text.h"

namespace reelq {

namespace {

constexpr int k_unusable_limit = 3;  // answers that do not answer, before the take stops waiting

// The event's outcome is the answer's kind, but a 429 for the running tasks says so: it is the
// other cap, with another remedy (sched/key_limits.h), and a report should tell the two apart.
EventRecord event_of(const std::string& endpoint, const Answer& a, const std::string& task_id) {
  const bool concurrency = a.kind == AnswerKind::rate_limited && a.limit == Limit::concurrency;
  return {endpoint,  a.http_status, a.body_code,
          a.message, task_id,       concurrency ? "concurrency_limited" : std::string(to_string(a.kind))};
}

TimeMs api_time(TimeMs ms, const OutcomeRules& rules) {
  return static_cast<TimeMs>(static_cast<double>(ms) / rules.time_scale);
}

void fail(JobRow& row, JobUpdate& u, const std::string& code, const std::string& message, TimeMs now) {
  u.state = row.state = JobState::failed;
  u.fail_code = code;
  u.fail_msg = message;
  u.completed_at = now;
}

// A submit that may or may not have made a task, or that failed on the way: sent again after a
// backoff while attempts are left (an ambiguous one flagged as a possible duplicate charge), or
// held (--on-ambiguous=hold).
void submit_not_answered(RunJob& j, const SubmitResult& r, TimeMs now, const OutcomeRules& rules, Backoff& backoff,
                         Outcome& o) {
  JobRow& row = j.row;
  JobUpdate& u = o.update;
  u.attempts = ++row.attempts;
  const bool ambiguous = r.answer.kind == AnswerKind::ambiguous;
  o.hold_slot = ambiguous;
  if (ambiguous && rules.on_ambiguous == OnAmbiguous::hold) {
    fail(row, u, "AMBIGUOUS_SUBMIT",
         fmt::format("{}; held (--on-ambiguous=hold): `reelq retry` resubmits it", r.answer.message), now);
  } else if (row.attempts >= rules.max_attempts) {
    fail(row, u, "RETRIES_EXHAUSTED", fmt::format("after {} attempts: {}", row.attempts, r.answer.message), now);
  } else {
    u.state = row.state = JobState::queued;
    u.next_at = row.next_at = now + backoff.delay(row.attempts);
    if (ambiguous) {
      u.ambiguous = row.ambiguous = true;
      u.note = "possible duplicate charge";
    }
  }
  const bool failed = row.state == JobState::failed;
  o.line =
      TakeLine{LogLevel::warn, failed ? "failed_at_submit" : "submit_retry",
               fmt::format("submit {} ({}){}", to_string(r.answer.kind), r.answer.message, failed ? ": gave up" : ""),
               u.fail_code.value_or("")};
}

// An answer about another task, or a success without a result that can be fetched, is asked again
// (a gateway may have crossed two answers; a result may be written late). When it stays so, the
// take stops waiting with its taskId kept: it never keeps a run alive, never settles the take with
// what the answer said, and `reelq retry` asks again instead of paying for a new render.
void unusable_status(RunJob& j, const Answer& a, TimeMs now, Backoff& backoff, Outcome& o) {
  JobRow& row = j.row;
  const int count = ++j.unusable_polls;
  if (count < k_unusable_limit) {
    o.update.next_at = row.next_at = now + backoff.delay(count);
    o.line = TakeLine{LogLevel::warn, "unusable_answer", fmt::format("{}; asking again", a.message), ""};
    return;
  }
  j.unusable_polls = 0;
  if (!j.ours()) {
    // Another batch's row is its own run's to settle; this run stops counting and polling it.
    row.state = JobState::cancelled;  // in memory only
    o.note = fmt::format("{}; not counted", a.message);
    o.note_level = LogLevel::warn;
    o.task_ended = true;
    return;
  }
  fail(row, o.update, a.fail_code,
       fmt::format("{} ({} times); task {} kept: `reelq retry --fail-code {}` asks again without resubmitting",
                   a.message, count, row.task_id, a.fail_code),
       now);
  o.task_ended = true;
  o.line =
      TakeLine{LogLevel::warn, "failed", fmt::format("failed: {} {}", a.fail_code, *o.update.fail_msg), a.fail_code};
}

// A poll that brought no status: the task is still the API's, asked again more slowly (a poll
// error never fails a job), unless only 404s have come for a long stretch, or its deadline passed.
bool status_not_read(RunJob& j, const StatusResult& r, TimeMs now, const OutcomeRules& rules, Backoff& backoff,
                     Outcome& o) {
  JobRow& row = j.row;
  ++j.poll_errors;
  const NotFoundStreak streak = j.not_found.value_or(NotFoundStreak{});
  if (streak.count >= k_not_found_min_answers && !j.ours()) {
    // Not at this API (a batch of an older reelq records none): it holds no slot here. Its row
    // is its own batch's to settle, by its own run against its own API.
    row.state = JobState::cancelled;  // in memory only: no longer counted nor polled
    o.note = fmt::format("task {} is not at this API; not counted", row.task_id);
    o.task_ended = true;
  } else if (task_lost(streak, now, rules.not_found_stretch)) {
    fail(row, o.update, "TASK_NOT_FOUND",
         fmt::format("the API said it does not know task {} for {} ({} answers in a row)", row.task_id,
                     format_duration(api_time(now - streak.first_at, rules)), streak.count),
         now);
    o.task_ended = true;
  } else if (r.answer.kind != AnswerKind::rate_limited && j.ours() &&
             now >= row.submitted_at + rules.timing.render_deadline) {
    return false;  // the caller times it out
  } else if (r.answer.kind != AnswerKind::rate_limited) {
    o.update.next_at = row.next_at = now + backoff.delay(j.poll_errors);
  }
  return true;
}

}  // namespace

Outcome submit_outcome(RunJob& j, const SubmitResult& r, TimeMs now, const RenderEstimate& estimate,
                       const OutcomeRules& rules, Backoff& backoff) {
  JobRow& row = j.row;
  Outcome o;
  o.event = event_of("generateTask", r.answer, r.task_id);
  JobUpdate& u = o.update;
  switch (r.answer.kind) {
    case AnswerKind::ok:
      u.state = row.state = JobState::running;
      u.task_id = row.task_id = r.task_id;
      u.submitted_at = row.submitted_at = now;
      u.next_at = row.next_at = first_poll_at(rules.timing, estimate, now, now);
      u.attempts = ++row.attempts;
      o.line = TakeLine{LogLevel::info, "submitted", fmt::format("submitted as {}", row.task_id), ""};
      return o;
    case AnswerKind::rate_limited:
    case AnswerKind::unreachable:
    case AnswerKind::unauthorized:
    case AnswerKind::credits_exhausted:
      // Not the job's fault: back in the queue, attempt not counted.
      u.state = row.state = JobState::queued;
      o.credits_out = r.answer.kind == AnswerKind::credits_exhausted;
      return o;
    case AnswerKind::content_rejected:
    case AnswerKind::invalid_request:
    case AnswerKind::not_found:
      u.attempts = ++row.attempts;
      fail(row, u, r.answer.kind == AnswerKind::content_rejected ? r.answer.fail_code : "INVALID_REQUEST",
           r.answer.message, now);
      o.line = TakeLine{LogLevel::warn, "failed_at_submit",
                        fmt::format("failed at submit: {} ({})", *u.fail_code, r.answer.message), *u.fail_code};
      return o;
    case AnswerKind::created_unnamed:
      // The task exists (it holds a slot) and is paid for: sending the submit again pays twice.
      o.hold_slot = true;
      u = hold_unnamed_task(r.answer.message, ++row.attempts, now);
      row.state = JobState::failed;
      o.line = TakeLine{LogLevel::warn, "failed_at_submit", *u.fail_msg, *u.fail_code};
      return o;
    case AnswerKind::transient:
    case AnswerKind::ambiguous:
    case AnswerKind::unusable:  // only status answers are; listed so a new kind cannot slip through
      break;
  }
  submit_not_answered(j, r, now, rules, backoff, o);
  return o;
}

Outcome status_outcome(RunJob& j, const StatusResult& r, TimeMs now, const RenderEstimate& estimate,
                       const OutcomeRules& rules, Backoff& backoff) {
  JobRow& row = j.row;
  Outcome o;
  o.event = event_of("statusTask", r.answer, row.task_id);
  if (r.answer.kind == AnswerKind::unusable) {
    unusable_status(j, r.answer, now, backoff, o);
    return o;
  }
  if (r.answer.kind == AnswerKind::unreachable) {
    return o;  // not a look at the task: the run pauses; no counter moves
  }
  row.last_poll_at = now;
  // Only 404s in a row mean the API lost the task; any other answer shows it still answers for it.
  if (r.answer.kind == AnswerKind::not_found) {
    if (!j.not_found) {
      j.not_found = NotFoundStreak{now, 0};
    }
    ++j.not_found->count;
  } else {
    j.not_found.reset();
  }
  if (r.answer.kind != AnswerKind::ok) {
    if (!status_not_read(j, r, now, rules, backoff, o)) {
      return time_out(j, fmt::format("its status could not be read ({})", r.answer.message), now, rules, o.event);
    }
    return o;
  }
  j.poll_errors = 0;
  j.unusable_polls = 0;
  const TaskStatus& s = *r.status;
  JobUpdate& u = o.update;
  o.event.message = s.raw_state;
  u.api_create_time = s.create_time;
  u.api_complete_time = s.complete_time;
  LearnedRender learned = learned_render(s, now - row.submitted_at, rules.timing.render_deadline);
  u.cost_time_ms = learned.cost_time;
  if (s.state == TaskState::success) {
    o.learned = learned.took;
    u.state = row.state = JobState::downloading;
    u.result_urls = row.result_urls = json_string_array(s.result_urls);
    o.start_download = true;
    o.task_ended = true;
  } else if (s.state == TaskState::failed) {
    fail(row, u, s.fail_code.empty() ? "FAILED" : s.fail_code, s.fail_msg, now);
    o.task_ended = true;
    o.line = TakeLine{LogLevel::warn, "failed", fmt::format("failed: {} {}", *u.fail_code, s.fail_msg), *u.fail_code};
  } else {
    if (s.state == TaskState::unknown) {
      o.line = TakeLine{LogLevel::warn, "unknown_state",
                        fmt::format("unknown state '{}', treated as running", s.raw_state), ""};
    }
    // Another batch's task is its own run's to give up on; here it only holds its slot.
    if (j.ours() && now >= row.submitted_at + rules.timing.render_deadline) {
      return time_out(j, fmt::format("still {}", s.raw_state), now, rules, o.event);
    }
    u.next_at = row.next_at = next_poll_at(rules.timing, estimate, row.submitted_at, now);
  }
  return o;
}

Outcome time_out(RunJob& j, const std::string& why, TimeMs now, const OutcomeRules& rules, EventRecord event) {
  JobRow& row = j.row;
  Outcome o;
  o.event = std::move(event);
  // In the API's time (as render_deadline is set), not the time-scaled wall clock of a rehearsal.
  fail(row, o.update, "RENDER_TIMEOUT",
       fmt::format("{} {} after submit (render_deadline); task {} kept: `reelq resume` asks the API again", why,
                   format_duration(api_time(now - row.submitted_at, rules)), row.task_id),
       now);
  o.timed_out = true;
  j.poll_errors = 0;
  j.not_found.reset();
  o.line =
      TakeLine{LogLevel::warn, "timed_out", fmt::format("RENDER_TIMEOUT: {}", *o.update.fail_msg), "RENDER_TIMEOUT"};
  return o;
}

}  // namespace reelq
