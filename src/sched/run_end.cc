// What the run says while it goes (the progress line) and how it ended (the summary).
#include <fmt/format.h>

#include <algorithm>

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
  Progress p = progress_of(m_jobs, m_model, now, max_concurrent(), m_spend.reached());
  for (const KeyLane& lane : m_lanes) {
    if (lane.driven()) {
      p.requests_in_window += lane.window.used(now);
      p.request_budget += lane.window.effective_cap();  // lower than `rpm` for a while after a rate 429
    }
  }
  m_observer.progress(p);
}

// The keys of a pool that did not drive to the end, a line each for the summary, and how many
// tasks they made that are left at the API (not failed: a resume with the key collects them).
int Runner::keys_left(std::vector<std::string>& lines) const {
  int lost_tasks = 0;
  for (size_t k = 0; k < m_lanes.size(); ++k) {
    const KeyLane& lane = m_lanes[k];
    if (lane.driven() || m_lanes.size() == 1) {
      continue;
    }
    int left = 0;
    for (size_t i : m_jobs.at_api()) {
      left += m_jobs[i].lane == static_cast<int>(k) && m_jobs[i].ours() ? 1 : 0;
    }
    lost_tasks += left;
    const std::string tasks =
        left == 0 ? std::string() : fmt::format("; {} it made left at the API, not failed", count_of(left, "task"));
    if (lane.refused) {
      lines.push_back(fmt::format("key {} left the pool: {}{}", lane.key.name, lane.refused_message, tasks));
    } else if (left > 0) {
      lines.push_back(
          fmt::format("key {} was driven by another reelq on this machine all run{}", lane.key.name, tasks));
    }
  }
  return lost_tasks;
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
  for (const KeyLane& lane : m_lanes) {
    if (std::string note = lane.limits.summary_note(); !note.empty()) {
      s.limits_note += (s.limits_note.empty() ? "" : "; ") +
                       (m_lanes.size() == 1 ? note : fmt::format("key {}: {}", lane.key.name, note));
    }
  }
  const int lost_tasks = keys_left(s.refused_keys);
  const bool any_takes_work =
      std::any_of(m_lanes.begin(), m_lanes.end(), [](const KeyLane& lane) { return lane.takes_work(); });
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
  } else if (lost_tasks > 0) {
    s.end = RunEnd::keys_lost;
    s.message = fmt::format(
        "{} left at the API by a key this run could not drive (above): a `resume` with that key "
        "working and free collects them, or --drop-key NAME gives them up (a retry may then pay "
        "twice)",
        count_of(lost_tasks, "task"));
  } else if (!any_takes_work && s.left > 0) {
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
