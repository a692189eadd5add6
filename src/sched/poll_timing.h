#pragma once
// When to look at a running task again: pure, from its render estimate, its submit time and now.
//
// Polling mode: none before the fastest tenth of similar renders would be done (the setting's
// poll_initial until renders have been seen), then every poll_interval; an overdue task (past the
// time by which 90% of renders like it end) is looked at more slowly as it gets later. Callback
// mode: the callback says when; polls only catch callbacks that never come. Either way one last
// look at the render deadline, where the task is given up on or collected.
#include "sched/render_model.h"
#include "settings.h"
#include "util/clock.h"

namespace reelq {

// The settings that time polls, already time-scaled.
struct PollTiming {
  RequestType request_type = RequestType::async;
  TimeMs poll_initial = 0;
  TimeMs poll_interval = 0;
  TimeMs render_deadline = 0;
  TimeMs overdue_cap = 0;     // the longest wait between looks at an overdue task
  TimeMs callback_grace = 0;  // callback mode: the least wait for a retried delivery
};
PollTiming poll_timing_of(const Settings& settings);

// The first look after the submit at `submitted_at`.
TimeMs first_poll_at(const PollTiming& t, const RenderEstimate& e, TimeMs submitted_at, TimeMs now);
// The next look after one at `now`.
TimeMs next_poll_at(const PollTiming& t, const RenderEstimate& e, TimeMs submitted_at, TimeMs now);

}  // namespace reelq
