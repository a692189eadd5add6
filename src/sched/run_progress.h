#pragma once
// The progress line's figures and the batch's ETA, from the job table's counters and the tasks at
// the API: a turn's cost, not the batch's.
#include "sched/job_table.h"
#include "sched/render_model.h"
#include "sched/run_observer.h"

namespace reelq {

// `slots`: the key's concurrency, over which the work left is spread. `queued_held`: nothing more is
// submitted this run (the spend cap is reached), so the ETA is that of the tasks at the API.
Progress progress_of(const JobTable& jobs, const RenderModel& model, TimeMs now, int slots, bool queued_held = false);

}  // namespace reelq
