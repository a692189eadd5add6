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

void Runner::credits_ran_out(int k, const std::string& api_message) {
  KeyLane& lane = m_lanes[static_cast<size_t>(k)];
  lane.credits_out = true;
  const std::string who = m_lanes.size() == 1 ? "" : fmt::format("key {}: ", lane.key.name);
  const TimeMs now = m_clock.now_ms();
  lane.credits_floor.reset();
  lane.next_balance_at = now;  // read at once: what is left now is the floor a top-up must rise above
  const double wait = m_config.settings.wait_for_credits;
  if (wait <= 0) {
    m_observer.log(
        LogLevel::warn,
        reads_balance(k, now)
            ? fmt::format("{}credits exhausted ({}); it takes no new job, the other keys go on, and its "
                          "balance is read every {}: a top-up puts it back to work",
                          who, api_message, format_duration(scaled(k_balance_recheck_s)))
            : fmt::format("{}credits exhausted ({}); no more submits, collecting what is running", who, api_message));
    return;
  }
  if (now < lane.credits_wait_until) {
    // A top-up that did not cover the render refused now: the wait goes on, it does not start again.
    m_observer.log(LogLevel::warn, fmt::format("{}credits exhausted again ({}); still waiting for a top-up for {}", who,
                                               api_message, format_duration(lane.credits_wait_until - now)));
    return;
  }
  lane.credits_wait_until = now + scaled(wait);
  m_observer.log(
      LogLevel::warn,
      fmt::format("{}credits exhausted ({}); no more submits until a top-up: reading the balance every {} "
                  "for up to {} (wait_for_credits), collecting what is running meanwhile",
                  who, api_message, format_duration(scaled(k_balance_recheck_s)), format_duration(scaled(wait))));
}

// A key out of credits has its balance read again while its wait lasts (wait_for_credits), or,
// in a pool, while another key still takes work: the night goes on, and a top-up joins it.
bool Runner::reads_balance(int k, TimeMs now) const {
  const KeyLane& lane = m_lanes[static_cast<size_t>(k)];
  if (!lane.credits_out || !lane.driven()) {
    return false;
  }
  if (lane.balance_ticket || now < lane.credits_wait_until) {
    return true;
  }
  for (size_t other = 0; other < m_lanes.size(); ++other) {
    if (static_cast<int>(other) != k && m_lanes[other].takes_work()) {
      return true;
    }
  }
  return false;
}

// Only the keys' own waits keep a run that has nothing left to collect: another key's work ends.
bool Runner::waiting_for_credits(TimeMs now) const {
  if (m_config.settings.wait_for_credits <= 0) {
    return false;
  }
  for (const KeyLane& lane : m_lanes) {
    if (lane.credits_out && lane.driven() && (now < lane.credits_wait_until || lane.balance_ticket)) {
      return true;
    }
  }
  return false;
}

// One read per key at a time, when due and its budget has room; the last one no later than the
// wait's end.
void Runner::read_balance_if_due(TimeMs now) {
  for (size_t k = 0; k < m_lanes.size(); ++k) {
    KeyLane& lane = m_lanes[k];
    if (!reads_balance(static_cast<int>(k), now) || lane.balance_ticket) {
      continue;
    }
    const TimeMs due =
        now < lane.credits_wait_until ? std::min(lane.next_balance_at, lane.credits_wait_until) : lane.next_balance_at;
    if (now < due || lane.window.next_allowed(now) > now || now < std::max(lane.paused_until, m_outage_until)) {
      continue;
    }
    lane.balance_place = lane.window.send(now);
    if (lane.balance_place == k_no_room) {
      continue;
    }
    lane.balance_ticket = m_dispatch.send(ApiRequest::balance(static_cast<int>(k)));
  }
}

TimeMs Runner::balance_read_at(TimeMs now) const {
  TimeMs at = std::numeric_limits<TimeMs>::max();
  for (size_t k = 0; k < m_lanes.size(); ++k) {
    const KeyLane& lane = m_lanes[k];
    if (!reads_balance(static_cast<int>(k), now) || lane.balance_ticket) {
      continue;
    }
    const TimeMs due =
        now < lane.credits_wait_until ? std::min(lane.next_balance_at, lane.credits_wait_until) : lane.next_balance_at;
    at = std::min(at, std::max({due, lane.window.next_allowed(now), lane.paused_until, m_outage_until}));
  }
  return at;
}

bool Runner::balance_answered(Ticket ticket, const BalanceResult& r) {
  KeyLane* found = nullptr;
  for (KeyLane& lane : m_lanes) {
    found = lane.balance_ticket == ticket ? &lane : found;
  }
  if (!found || ticket == 0) {
    return false;
  }
  KeyLane& lane = *found;
  const TimeMs now = m_clock.now_ms();
  if (r.answer.sent) {
    lane.window.answered(lane.balance_place, now);
  } else {
    lane.window.not_sent(lane.balance_place);
  }
  lane.balance_ticket = 0;
  lane.next_balance_at = now + scaled(k_balance_recheck_s);
  // Counted in the budget a restarted run restores, like every request (queue/run_store.h).
  (void)m_store.log_event({"balance", r.answer.http_status, r.answer.body_code,
                           r.balance ? fmt::format("{:.4f}", *r.balance) : r.answer.message, "",
                           std::string(to_string(r.answer.kind))});
  if (r.answer.kind != AnswerKind::ok || !r.balance) {
    return true;  // asked again at the next read
  }
  // Enough for the next render in plan order, by the table (a run always has one). A render the
  // table cannot price waits for the balance to rise above what was left when credits ran out.
  std::optional<double> enough;
  if (std::vector<size_t> heads = m_jobs.ready_heads(); !heads.empty() && m_config.price) {
    enough = m_config.price(m_jobs[heads.front()].row.input_json);
  }
  if (!enough) {
    if (!lane.credits_floor) {
      lane.credits_floor = *r.balance;
      return true;
    }
    enough = *lane.credits_floor + 0.01;
  }
  if (*r.balance < *enough) {
    return true;
  }
  lane.credits_out = false;
  m_observer.log(LogLevel::info, fmt::format("{}balance {}: credits topped up, submitting again",
                                             m_lanes.size() == 1 ? "" : fmt::format("key {}: ", lane.key.name),
                                             format_money(*r.balance, m_config.spend_currency)));
  return true;
}

}  // namespace reelq
