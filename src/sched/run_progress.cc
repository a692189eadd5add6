#include "sched/run_progress.h"

#include <algorithm>

namespace reelq {

Progress progress_of(const JobTable& jobs, const RenderModel& model, TimeMs now, int slots, bool queued_held) {
  Progress p;
  p.queued_held = queued_held;
  p.succeeded = jobs.count(JobState::succeeded);
  p.failed = jobs.count(JobState::failed) + jobs.count(JobState::cancelled);
  p.running = jobs.count(JobState::running) + jobs.count(JobState::submitting);
  p.downloading = jobs.count(JobState::downloading);
  p.queued = jobs.count(JobState::queued);
  TimeMs remaining = 0;        // render time still to come, over every task of ours
  TimeMs longest_running = 0;  // of the tasks at the API now: none can end before it does
  for (size_t i : jobs.at_api()) {
    const RunJob& j = jobs[i];
    if (!j.ours()) {
      continue;  // the progress line is this batch's
    }
    RenderEstimate e = model.estimate(j.cls);
    TimeMs elapsed = now - j.row.submitted_at;
    if (j.row.state == JobState::running && elapsed > e.late) {
      ++p.overdue;  // no honest guess of its end: it counts towards "?" below, not "0"
    } else {
      TimeMs left = std::max<TimeMs>(0, e.median - elapsed);
      remaining += left;
      longest_running = std::max(longest_running, left);
    }
  }
  for (RenderModel::ClassId cls = 0; cls < model.classes() && !queued_held; ++cls) {
    remaining += static_cast<TimeMs>(jobs.queued_in_class(cls)) * model.estimate(cls).median;
  }
  // The batch ends no sooner than its longest running task, nor than the work left spread over
  // every slot (summing and dividing alone said "ETA 0ms" with seven tasks running).
  p.eta_ms = remaining == 0 && p.overdue > 0 ? -1 : std::max(longest_running, remaining / std::max(1, slots));
  return p;
}

}  // namespace reelq
