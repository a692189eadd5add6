// What the run says while it goes (the progress line) and how it ended (the summary).
#include <fmt/format.h>

#include "sched/run_progress.h"
#include "sched/runner.h"
#include "util/text.h"
#include "util/time_text.h"

namespace reelq {

void Runner::report_progress() {
  TimeMs now = m_clock.now_ms();
  if (now - m_last_progress < 100) {
    return;
  }
  m_last_progress = now;
  Progress p = progress_of(m_jobs, m_model, now, max_concurrent());
  p.requests_in_window = m_window.used(now);
  p.request_budget = m_window.effective_cap();  // lower than `rpm` for a while after a rate 429
  m_observer.progress(p);
}

RunSummary Runner::summarize(TimeMs started) {
  RunSummary s;
  s.elapsed_ms = m_clock.now_ms() - started;
  auto counts = m_store.counts(m_config.batch);
  if (counts) {
    s.succeeded = counts->by_state[JobState::succeeded];
    s.failed = counts->by_state[JobState::failed];
    s.cancelled = counts->by_state[JobState::cancelled];
    for (auto [state, n] : counts->by_state) {
      s.left += is_final(state) ? 0 : n;
    }
    s.failures_by_code = counts->failures_by_code;
  }
  s.message = m_failure_message;
  s.limits_note = m_limits.summary_note();
  s.spend_cap = m_spend.cap();
  s.spend_committed = m_spend.committed();
  s.spend_currency = m_config.spend_currency;
  if (m_storage_failed || !counts) {
    s.end = RunEnd::storage_failed;
    if (!counts) {
      s.message = counts.error().message;
    }
  } else if (m_key_refused) {
    s.end = RunEnd::key_refused;
  } else if (m_disk_full) {
    s.end = RunEnd::disk_full;
  } else if (m_stop.load() > 0) {
    s.end = RunEnd::interrupted;
  } else if (m_credits_out && s.left > 0) {
    s.end = RunEnd::credits_exhausted;
    if (m_config.settings.wait_for_credits > 0) {
      s.message = fmt::format("no top-up came in the {} waited (wait_for_credits)",
                              format_duration(scaled(m_config.settings.wait_for_credits)));
    }
  } else if (m_spend.reached() && s.left > 0) {
    s.end = RunEnd::spend_capped;
  } else if (m_slots_held && s.left > 0) {
    s.end = RunEnd::slots_held;
    s.message = fmt::format("{} left queued: every one of the {} slots is held by a render past its deadline",
                            count_of(s.left, "job"), max_concurrent());
    m_observer.log(LogLevel::warn, s.message);
  } else if (s.left > 0) {
    // The planner found nothing to do with rows still open: never report that as a success.
    s.end = RunEnd::interrupted;
    s.message = fmt::format("{} jobs were left open unexpectedly", s.left);
    m_observer.log(LogLevel::error, s.message);
  }
  return s;
}

}  // namespace reelq
