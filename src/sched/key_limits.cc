#include "sched/key_limits.h"

#include <fmt/format.h>

#include <algorithm>

namespace reelq {

namespace {

// The API's words, for a warning: its envelope's message, else reelq's account of the answer
// (a gateway's page), both already made safe by classify(), cut to a sentence.
std::string quote_of(const Answer& a) {
  return printable_excerpt(a.api_message.empty() ? a.message : a.api_message, k_max_api_message);
}

}  // namespace

KeyLimits::KeyLimits(KeyLimitsConfig config)
    : m_config(config),
      m_rate_backoff(config.rate_backoff_base, config.rate_backoff_cap, config.seed),
      m_submit_backoff(config.submit_backoff_base, config.submit_backoff_cap, config.seed + 1) {}

Refusal KeyLimits::on_429(const Answer& answer, RequestKind kind, const LimitContext& context, TimeMs now) {
  std::string quote = quote_of(answer);
  if (answer.limit == Limit::rate) {
    return on_rate(answer, quote, now);
  }
  if (answer.limit == Limit::concurrency) {
    return on_concurrency(answer, quote, context, now);
  }
  // The message names no cap. A status query is never refused for the task cap, and a submit
  // refused while reelq's window is far under the rate cannot have been refused for the rate.
  bool well_under = context.rpm > 0 && context.window_used <= context.rpm * m_config.well_under;
  Refusal r = kind == RequestKind::submit && well_under
                  ? on_concurrency(answer,
                                   fmt::format("{}; taken for the task limit: {} of {} requests in the last minute",
                                               quote, context.window_used, context.rpm),
                                   context, now)
                  : on_rate(answer, quote, now);
  r.inferred = true;
  return r;
}

TimeMs KeyLimits::bounded_retry_after(const Answer& answer) const {
  return std::clamp<TimeMs>(answer.retry_after_ms.value_or(0), 0, m_config.max_retry_after);
}

// As reelq always did with a 429: every request on the key waits, and the rate goes down.
Refusal KeyLimits::on_rate(const Answer& answer, const std::string& quote, TimeMs now) {
  ++m_rate_streak;
  Refusal r;
  r.limit = Limit::rate;
  r.slow_down = true;
  TimeMs wait = answer.retry_after_ms ? bounded_retry_after(answer) : m_rate_backoff.delay(m_rate_streak);
  std::string how = fmt::format("pausing {} ms", wait);
  if (answer.retry_after_ms && *answer.retry_after_ms > wait) {
    how = fmt::format("Retry-After asks {} ms; pausing {} ms, the most reelq waits", *answer.retry_after_ms, wait);
  } else if (answer.retry_after_ms) {
    how += " as Retry-After asks";
  }
  m_requests_paused_until = std::max(m_requests_paused_until, now + wait);
  r.requests_paused_until = m_requests_paused_until;
  r.submits_blocked_until = m_submits_blocked_until;
  r.warning = fmt::format("rate limited (429: {}): {}, then going on at a lower rate", quote, how);
  return r;
}

// Slots are held by tasks reelq does not know about: hold submits, never the rate or the polls.
Refusal KeyLimits::on_concurrency(const Answer& answer, const std::string& quote, const LimitContext& context,
                                  TimeMs now) {
  ++m_submit_streak;
  Refusal r;
  r.limit = Limit::concurrency;
  TimeMs wait = answer.retry_after_ms ? bounded_retry_after(answer) : m_submit_backoff.delay(m_submit_streak);
  m_submits_blocked_until = std::max(m_submits_blocked_until, now + wait);
  r.submits_blocked_until = m_submits_blocked_until;
  r.requests_paused_until = m_requests_paused_until;
  r.warning = fmt::format(
      "concurrent task limit (429: {}): no submit on this key until one of its tasks ends or {} ms pass; polls go on",
      quote, wait);
  // With none running, every slot is someone else's: that says nothing about the key's cap. And a
  // count taught only once every task in it was seen after the first concurrency 429: before, a
  // task that ended unseen (polls are scarce on a 10-request key) made the count too high, and the
  // cap learned (4 on a 3-task key) drew a 429 at every fourth submit all night.
  const bool first = !m_first_concurrency_at;
  if (first) {
    m_first_concurrency_at = now;
  }
  const bool fresh = !first && context.counted_since >= *m_first_concurrency_at;
  if (!m_learned_cap && fresh && context.running >= 1 && context.running < context.max_concurrent) {
    m_learned_cap = context.running;
    m_setting_when_learned = context.max_concurrent;
    m_learned_quote = quote_of(answer);
    r.learned_cap = m_learned_cap;
    r.setting = fmt::format("max_concurrent: {}", context.running);
    r.warning += fmt::format(
        "; the key allows {} running tasks, fewer than max_concurrent {}: reelq keeps to {} for this run (write "
        "`{}` in the manifest's settings)",
        context.running, context.max_concurrent, context.running, r.setting);
  }
  return r;
}

void KeyLimits::on_accepted(RequestKind kind) {
  m_rate_streak = 0;
  if (kind == RequestKind::submit) {
    m_submit_streak = 0;
    m_submits_blocked_until = 0;
  }
}

void KeyLimits::on_task_ended() {
  m_submits_blocked_until = 0;
}

bool KeyLimits::may_submit(TimeMs now) const {
  return now >= m_requests_paused_until && now >= m_submits_blocked_until;
}

TimeMs KeyLimits::submits_blocked_until() const {
  return std::max(m_submits_blocked_until, m_requests_paused_until);
}

int KeyLimits::max_concurrent(int setting) const {
  return m_learned_cap ? std::min(setting, *m_learned_cap) : setting;
}

std::string KeyLimits::summary_note() const {
  if (!m_learned_cap) {
    return "";
  }
  return fmt::format(
      "the API allowed {} running tasks on this key (429: {}), fewer than max_concurrent {}; reelq kept to {}. Write "
      "`max_concurrent: {}` in the manifest's settings.",
      *m_learned_cap, m_learned_quote, m_setting_when_learned, *m_learned_cap, *m_learned_cap);
}

}  // namespace reelq
