// The requests of a run: a submit's intent written before it is handed on, answers applied on a
// later turn, and what a stop leaves on the wire. The dispatch (api/dispatch.h) makes the calls;
// only this loop reads or writes run state.
#include <fmt/format.h>

#include <variant>

#include "api/request.h"
#include "listen/served_images.h"
#include "sched/runner.h"

namespace reelq {

// Writes the intent (the row says `submitting`, with the exact body) and hands the request on.
// `lane`: the key it goes out with, recorded with the intent: its task belongs to that key.
void Runner::submit(size_t i, int lane) {
  if (!admit_spend(i)) {
    return;  // over the spend cap: it stays queued, and nothing more is submitted
  }
  const RunJob& job = m_jobs[i];
  std::string body = generate_body(with_image_urls(job.row.input_json, m_config.image_urls),
                                   m_config.settings.request_type, m_config.callback_url);
  auto claimed = m_store.begin_submit(job.row.id, body, m_lanes[static_cast<size_t>(lane)].key);
  if (!claimed) {
    m_storage_failed = true;
    m_failure_message = claimed.error().message;
    return;
  }
  // Changed under us (`reelq cancel` while this run drains): not ours to submit any more.
  m_jobs.change(i, [&](RunJob& j) {
    j.row.state = *claimed;
    j.lane = lane;
  });
  if (*claimed != JobState::submitting) {
    release_spend(i);  // never sent
    say(LogLevel::info, "not_submitted", m_jobs[i].row,
        fmt::format("{} meanwhile; not submitted", to_string(m_jobs[i].row.state)));
    return;
  }
  ApiRequest request = ApiRequest::submit(m_jobs[i].row.id, m_config.model, std::move(body));
  request.key = lane;
  send(i, std::move(request), fmt::format("the submit of {}", take_name(m_jobs[i].row)));
}

void Runner::poll(size_t i) {
  m_jobs.change(i, [&](RunJob& j) { j.hint = 0; });  // this query is the one the hint asked for
  const JobRow& row = m_jobs[i].row;
  // With the key that created the task: no other key may ask about it.
  ApiRequest request = ApiRequest::status(row.id, row.foreign() ? row.foreign_model : m_config.model, row.task_id);
  request.key = m_jobs[i].lane;
  send(i, std::move(request), fmt::format("a status poll of {} ({})", take_name(row), row.task_id));
}

// The request takes its place in the budget when it is sent, and its job has nothing more sent
// until it is answered. The planner only asks for a request the budget has room for.
void Runner::send(size_t i, ApiRequest request, const std::string& what) {
  const int lane = request.key;
  SendId place = m_lanes[static_cast<size_t>(lane)].window.send(m_clock.now_ms());
  if (m_sent.empty()) {
    m_observer.in_flight(what);
  }
  m_jobs.change(i, [&](RunJob& j) { j.in_flight = true; });
  Ticket t = m_dispatch.send(std::move(request));
  m_sent[t] = Sent{i, lane, place, what};
}

// The answers that came since the last turn, in the order they came, stored in one transaction:
// one commit for the turn, not one per answer. Nothing is sent before they are committed.
void Runner::absorb_answers() {
  std::vector<ApiReply> replies = m_dispatch.take();
  if (replies.empty()) {
    return;
  }
  RunStore::TurnWrites turn(m_store);
  std::vector<size_t> created;  // jobs whose task was created this turn
  for (ApiReply& reply : replies) {
    if (reply.request.kind == CallKind::balance &&
        balance_answered(reply.ticket, std::get<BalanceResult>(reply.result))) {
      continue;
    }
    auto it = m_sent.find(reply.ticket);
    if (it == m_sent.end()) {
      continue;  // not this run's (a dispatch shared with a balance read)
    }
    Sent sent = std::move(it->second);
    m_sent.erase(it);
    m_observer.in_flight(m_sent.empty() ? "" : m_sent.begin()->second.what);
    on_answer(reply.answer(), sent.lane, sent.place,
              reply.request.kind == CallKind::submit ? RequestKind::submit : RequestKind::poll, reply.ticket);
    m_jobs.change(sent.job, [&](RunJob& j) { j.in_flight = false; });
    if (auto* r = std::get_if<SubmitResult>(&reply.result)) {
      submit_answered(sent.job, *r);
      if (!r->task_id.empty()) {
        created.push_back(sent.job);
      }
    } else if (auto* st = std::get_if<StatusResult>(&reply.result)) {
      poll_answered(sent.job, *st);
    }
  }
  if (auto stored = turn.commit(); !stored) {
    m_storage_failed = true;
    m_failure_message = stored.error().message;
    for (size_t i : created) {
      say(LogLevel::error, "not_recorded", m_jobs[i].row,
          fmt::format("task {} was created but could not be recorded: {}", m_jobs[i].row.task_id, m_failure_message));
    }
  }
}

void Runner::submit_answered(size_t i, const SubmitResult& r) {
  settle_spend(i, r);
  const int lane = m_jobs[i].lane;
  m_lanes[static_cast<size_t>(lane)].polls_first = r.answer.kind == AnswerKind::rate_limited;
  Outcome o;
  m_jobs.change(
      i, [&](RunJob& j) { o = submit_outcome(j, r, m_clock.now_ms(), m_model.estimate(j.cls), m_rules, m_backoff); });
  if (o.credits_out && !m_lanes[static_cast<size_t>(lane)].credits_out) {
    credits_ran_out(lane, r.answer.message);
  }
  apply(i, o);
}

void Runner::poll_answered(size_t i, const StatusResult& r) {
  if (m_jobs[i].lane >= 0) {
    m_lanes[static_cast<size_t>(m_jobs[i].lane)].polls_first = false;
  }
  Outcome o;
  m_jobs.change(
      i, [&](RunJob& j) { o = status_outcome(j, r, m_clock.now_ms(), m_model.estimate(j.cls), m_rules, m_backoff); });
  apply(i, o);
}

// At the end of the run: nothing new is sent, answers already on their way are waited for a
// moment and applied. A submit still unanswered is left `submitting`, exactly as a run killed mid-
// submit leaves it: it may have made a task, and the next run's start-up decides what that means
// under its own --on-ambiguous (flagged and resubmitted, or held), so a `resume --on-ambiguous
// hold` after a Ctrl-C does hold it. One no worker had started goes back to the queue unflagged;
// an unanswered poll changes nothing.
void Runner::stop_dispatch() {
  if (m_sent.empty()) {
    return;
  }
  ShutdownReport report = m_dispatch.shutdown(halted() ? 0 : m_config.stop_grace_ms);
  if (!m_storage_failed) {
    absorb_answers();
  }
  auto settle = [&](const Unanswered& u, AnswerKind kind, const char* why) {
    auto it = m_sent.find(u.ticket);
    if (it == m_sent.end()) {
      return;
    }
    Sent sent = std::move(it->second);
    m_sent.erase(it);
    m_jobs.change(sent.job, [&](RunJob& j) { j.in_flight = false; });
    Answer a;
    a.kind = kind;
    a.sent = kind != AnswerKind::unreachable;
    a.message = why;
    RequestWindow& window = m_lanes[static_cast<size_t>(sent.lane)].window;
    if (kind == AnswerKind::unreachable) {
      window.not_sent(sent.place);
    } else {
      window.answered(sent.place, m_clock.now_ms());
    }
    if (u.request.kind != CallKind::submit || m_storage_failed) {
      return;
    }
    if (kind == AnswerKind::unreachable) {
      submit_answered(sent.job, SubmitResult{a, ""});
    } else {
      say(LogLevel::warn, "unanswered", m_jobs[sent.job].row,
          "submit unanswered when the run stopped; the task may exist: the next `reelq resume` treats it as "
          "ambiguous (--on-ambiguous decides: resubmit, flagged as a possible duplicate charge, or hold)");
    }
  };
  for (const Unanswered& u : report.not_sent) {
    settle(u, AnswerKind::unreachable, "not sent: the run stopped");
  }
  for (const Unanswered& u : report.on_the_wire) {
    settle(u, AnswerKind::ambiguous, "no answer before the run stopped; the task may exist");
  }
  m_observer.in_flight("");
}

}  // namespace reelq
