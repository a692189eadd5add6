#pragma once
// The last rounds of a batch: which queued job a slot that is free now should start, so that all
// slots finish together.
//
// Longest-first keeps slots busy and leaves the shortest jobs for the end, but the slots then
// free at staggered times and the last round of short jobs cannot even them out: on average half
// a short render of idle time per slot (2.5% of a 120-job batch). Near the end this plans the
// whole remainder instead: every queued job is assigned to a slot, given when each running task
// is expected to end, so that the latest slot finishes as early as possible (longest-first, then
// moves and swaps between slots while the latest end or the sum of squared ends improves). The
// free slot starts the job of its share whose length is most common in the queue, keeping rare
// lengths for the end. The plan is remade at every submit, from the render times seen since:
// renders vary by about 12%, so no plan survives, but lengths kept in reserve can correct it.
//
// Pure: lengths and times in, an index out (src/sched/planner.cc decides when it applies).
#include <cstddef>
#include <vector>

#include "util/clock.h"

namespace reelq {

// `busy_until`: when each other usable slot is expected to be free (running tasks; `now` for
// slots that are free too). `lengths`: the predicted render time of every queued job, at least
// one. Returns the index into `lengths` of the job the free slot should start now.
size_t choose_endgame_job(TimeMs now, const std::vector<TimeMs>& busy_until, const std::vector<TimeMs>& lengths);

}  // namespace reelq
