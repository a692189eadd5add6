// Credits that run out mid-run. Submitting stops at once (a 402 or "Insufficient credits" is the
// API's answer to a submit, sched/outcome.h) and what runs is collected. With wait_for_credits the
// run then reads the balance every minute (scaled; one request of the budget) until the wait ends:
// a top-up puts it back to work in the same night, instead of waiting for a `reelq resume` in the
// morning.
#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "cost/estimate.h"
#include "sched/runner.h"
#include "util/time_text.h"

namespace reelq {

namespace {

constexpr double k_balance_recheck_s = 60;

}  // namespace

void Runner::credits_ran_out(const std::string& api_message) {
  m_credits_out = true;
  const double wait = m_config.settings.wait_for_credits;
  if (wait <= 0) {
    m_observer.log(LogLevel::warn,
                   fmt::format("credits exhausted ({}); no more submits, collecting what is running", api_message));
    return;
  }
  const TimeMs now = m_clock.now_ms();
  m_credits_floor.reset();
  m_next_balance_at = now;  // read at once: what is left now is the floor a top-up must rise above
  if (now < m_credits_wait_until) {
    // A top-up that did not cover the render refused now: the wait goes on, it does not start again.
    m_observer.log(LogLevel::warn, fmt::format("credits exhausted again ({}); still waiting for a top-up for {}",
                                               api_message, format_duration(m_credits_wait_until - now)));
    return;
  }
  m_credits_wait_until = now + scaled(wait);
  m_observer.log(LogLevel::warn,
                 fmt::format("credits exhausted ({}); no more submits until a top-up: reading the balance every {} "
                             "for up to {} (wait_for_credits), collecting what is running meanwhile",
                             api_message, format_duration(scaled(k_balance_recheck_s)), format_duration(scaled(wait))));
}

bool Runner::waiting_for_credits(TimeMs now) const {
  return m_credits_out && m_config.settings.wait_for_credits > 0 && (now < m_credits_wait_until || m_balance_ticket);
}

// One read at a time, when due and the budget has room; the last one no later than the wait's end.
void Runner::read_balance_if_due(TimeMs now) {
  if (!waiting_for_credits(now) || m_balance_ticket || now < std::min(m_next_balance_at, m_credits_wait_until) ||
      m_window.next_allowed(now) > now || now < m_pause_until) {
    return;
  }
  m_balance_place = m_window.send(now);
  if (m_balance_place == k_no_room) {
    return;
  }
  m_balance_ticket = m_dispatch.send(ApiRequest::balance());
}

TimeMs Runner::balance_read_at(TimeMs now) const {
  if (!waiting_for_credits(now) || m_balance_ticket) {
    return std::numeric_limits<TimeMs>::max();
  }
  return std::max({std::min(m_next_balance_at, m_credits_wait_until), m_window.next_allowed(now), m_pause_until});
}

void Runner::balance_answered(const BalanceResult& r) {
  const TimeMs now = m_clock.now_ms();
  if (r.answer.sent) {
    m_window.answered(m_balance_place, now);
  } else {
    m_window.not_sent(m_balance_place);
  }
  m_balance_ticket = 0;
  m_next_balance_at = now + scaled(k_balance_recheck_s);
  // Counted in the budget a restarted run restores, like every request (queue/run_store.h).
  (void)m_store.log_event({"balance", r.answer.http_status, r.answer.body_code,
                           r.balance ? fmt::format("{:.4f}", *r.balance) : r.answer.message, "",
                           std::string(to_string(r.answer.kind))});
  if (r.answer.kind != AnswerKind::ok || !r.balance) {
    return;  // asked again at the next read
  }
  // Enough for the next render in plan order, by the table (a run always has one). A render the
  // table cannot price waits for the balance to rise above what was left when credits ran out.
  std::optional<double> enough;
  if (std::vector<size_t> heads = m_jobs.ready_heads(); !heads.empty() && m_config.price) {
    enough = m_config.price(m_jobs[heads.front()].row.input_json);
  }
  if (!enough) {
    if (!m_credits_floor) {
      m_credits_floor = *r.balance;
      return;
    }
    enough = *m_credits_floor + 0.01;
  }
  if (*r.balance < *enough) {
    return;
  }
  m_credits_out = false;
  m_observer.log(LogLevel::info, fmt::format("balance {}: credits topped up, submitting again",
                                             format_money(*r.balance, m_config.spend_currency)));
}

}  // namespace reelq
