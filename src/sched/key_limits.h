#pragma once
// What one API key's 429s mean for what may be sent on it next (issue 19 item 2). apixo answers 429
// for two different caps, and each has its own remedy:
//
// - the request rate ("Rate limit exceeded"): every request on the key waits a moment, and the
//   rate goes down (RequestWindow::on_rate_limited), as reelq always did;
// - the running tasks ("Concurrent task limit exceeded"): slots are held by tasks reelq does not
//   know about (another program, another machine, a plan smaller than max_concurrent). Submits
//   stop until one of the key's own tasks ends or a short backoff passes; the rate is never
//   lowered for it and polls go on, so finished tasks are still collected. When it comes with fewer
//   tasks running than the setting, the number running is the key's real cap for this run.
//
// Pure: no clock is read, nothing is printed; `now` is passed in (the caller's monotonic time) and
// the caller logs the warnings and applies the pauses. One KeyLimits per key.
#include <cstdint>
#include <optional>
#include <string>

#include "api/answer.h"
#include "util/backoff.h"
#include "util/clock.h"

namespace reelq {

// The kind of request a 429 answered.
enum class RequestKind { submit, poll, balance };

// Times, already scaled by the run's time scale.
struct KeyLimitsConfig {
  TimeMs rate_backoff_base = 1000;  // a rate 429 without Retry-After pauses about this, doubling
  TimeMs rate_backoff_cap = 60000;
  TimeMs max_retry_after = 300000;    // the longest pause a Retry-After can impose
  TimeMs submit_backoff_base = 5000;  // a concurrency 429 holds submits about this, doubling,
  TimeMs submit_backoff_cap = 60000;  // unless one of the key's own tasks ends first
  std::uint64_t seed = 0;             // the backoffs' jitter
  // A 429 to a submit whose message names no cap is taken for the task cap while reelq's own
  // rolling window holds at most this share of the rate: so far under it, the rate cannot be why.
  double well_under = 0.5;
};

// What reelq knew when the 429 came.
struct LimitContext {
  int window_used = 0;     // requests in reelq's rolling window (RequestWindow::used)
  int rpm = 0;             // the rate setting
  int running = 0;         // the key's own tasks at the API (submitted, not ended)
  int max_concurrent = 0;  // the setting
  // The oldest moment any task in `running` was seen running (its last status answer, or its
  // submit): a task may have ended at the API since, unseen, so a count is trusted to teach a cap
  // only when every task in it was seen after the key's first concurrency 429 (see on_concurrency).
  TimeMs counted_since = 0;
};

// What a 429 means, and what the caller does about it.
struct Refusal {
  Limit limit = Limit::rate;         // rate or concurrency: the message's word, or judged (`inferred`)
  bool inferred = false;             // the message named no cap
  TimeMs requests_paused_until = 0;  // rate: no request on the key before this (0 = no pause)
  TimeMs submits_blocked_until = 0;  // concurrency: no submit before this, unless a task ends
  bool slow_down = false;            // rate: lower the request rate (RequestWindow::on_rate_limited)
  std::optional<int> learned_cap;    // concurrency: the cap learned by this very 429
  // The line to log (warn), quoting the API's message: "rate limited (429: Rate limit exceeded):
  // pausing 1000 ms, then going on at a lower rate" or "concurrent task limit (429: Concurrent task
  // limit exceeded): no submit on this key until one of its tasks ends or 5000 ms pass; polls go on".
  std::string warning;
  std::string setting;  // with a learned cap, the setting to write: "max_concurrent: 3"
};

class KeyLimits {
 public:
  explicit KeyLimits(KeyLimitsConfig config = {});

  // A 429 (answer.kind == rate_limited) to a request of `kind`, at `now`.
  Refusal on_429(const Answer& answer, RequestKind kind, const LimitContext& context, TimeMs now);
  // An answer that was not a 429. An accepted submit shows a slot was free: submits are no longer
  // held, and the next concurrency 429 backs off from the start; any accepted request does the
  // same for the rate's backoff.
  void on_accepted(RequestKind kind);
  // One of the key's own tasks ended (success or failure): its slot is free, submits may go again.
  void on_task_ended();

  // Whether a submit may be sent on the key at `now` (the caller also keeps its own caps).
  bool may_submit(TimeMs now) const;
  TimeMs requests_paused_until() const { return m_requests_paused_until; }  // 0 = never paused
  // When submits may go again (0 = not held); the later of the submit hold and the request pause.
  TimeMs submits_blocked_until() const;
  // The concurrency hold alone (0 = none): until then a concurrency 429 only repeats what was said.
  TimeMs submits_held_until() const { return m_submits_blocked_until; }

  // The key's task cap as learned in this run: the tasks running when a concurrency 429 first came
  // with fewer than the setting (and at least one). Learned once; later 429s hold submits only.
  std::optional<int> learned_cap() const { return m_learned_cap; }
  // The cap to keep to: the setting, or the learned cap when lower.
  int max_concurrent(int setting) const;
  // The sentence the run's summary repeats ("" when nothing was learned): "the API allowed 3
  // running tasks on this key (429: Concurrent task limit exceeded), fewer than max_concurrent 10;
  // reelq kept to 3. Write `max_concurrent: 3` in the manifest's settings."
  std::string summary_note() const;

 private:
  Refusal on_rate(const Answer& answer, const std::string& quote, TimeMs now);
  Refusal on_concurrency(const Answer& answer, const std::string& quote, const LimitContext& context, TimeMs now);
  TimeMs bounded_retry_after(const Answer& answer) const;

  KeyLimitsConfig m_config;
  Backoff m_rate_backoff;
  Backoff m_submit_backoff;
  int m_rate_streak = 0;    // rate 429s since the last accepted request
  int m_submit_streak = 0;  // concurrency 429s since the last accepted submit
  TimeMs m_requests_paused_until = 0;
  TimeMs m_submits_blocked_until = 0;
  std::optional<int> m_learned_cap;
  std::optional<TimeMs> m_first_concurrency_at;  // the key's first concurrency 429 of the run
  int m_setting_when_learned = 0;
  std::string m_learned_quote;  // the API's words when the cap was learned
};

}  // namespace reelq
