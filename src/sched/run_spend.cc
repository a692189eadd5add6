// The spend cap in the loop (sched/spend_cap.h): a submit's price is reserved before its intent is
// written, kept by any answer that may mean a task, and given back by one that proves none was made.
#include <fmt/format.h>

#include "cost/estimate.h"
#include "sched/runner.h"

namespace reelq {

// After start-up recorded what an earlier run left unanswered (recovery events), so those count.
bool Runner::open_spend_cap() {
  const std::optional<double>& cap = m_config.settings.max_spend;
  if (!cap) {
    return true;
  }
  double committed = 0;
  if (m_config.committed_spend) {
    auto spent = m_config.committed_spend();
    if (!spent) {
      m_storage_failed = true;
      m_failure_message = spent.error().message;
      return false;
    }
    committed = *spent;
  }
  m_spend = SpendCap(*cap, committed);
  return true;
}

bool Runner::admit_spend(size_t i) {
  if (!m_spend.active()) {
    return true;
  }
  const JobRow& row = m_jobs[i].row;
  auto money = [&](double amount) { return format_money(amount, m_config.spend_currency); };
  std::optional<double> price = m_config.price ? m_config.price(row.input_json) : std::nullopt;
  if (!m_spend.reserve(price)) {
    say(LogLevel::warn, "spend_capped", row,
        price ? fmt::format("not submitted: {} more would pass max_spend {} ({} committed); nothing more is "
                            "submitted unless a refused submit gives its price back, what is running is collected",
                            money(*price), money(*m_spend.cap()), money(m_spend.committed()))
              : fmt::format("not submitted: the price table has no price for this render, so max_spend {} cannot "
                            "be kept; no further render is submitted",
                            money(*m_spend.cap())));
    return false;
  }
  m_spend_reserved[i] = *price;
  return true;
}

// Only an answer that proves no task was made gives the price back (api/answer.h: a submit's answer
// that does not prove it is `ambiguous`, and one that made a task names it or is created_unnamed).
void Runner::settle_spend(size_t i, const SubmitResult& r) {
  const AnswerKind k = r.answer.kind;
  if (r.task_id.empty() && k != AnswerKind::ambiguous && k != AnswerKind::created_unnamed) {
    release_spend(i);
  } else {
    m_spend_reserved.erase(i);  // spent, or possibly: it stays counted
  }
}

void Runner::release_spend(size_t i) {
  if (auto it = m_spend_reserved.find(i); it != m_spend_reserved.end()) {
    m_spend.release(it->second);
    m_spend_reserved.erase(it);
  }
}

}  // namespace reelq
