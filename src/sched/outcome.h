#pragma once
// What an answer of the API means for one job: pure, job + answer + now -> the row's update and
// the effects the runner carries out (a line to say, a slot to hold, a download to start, a render
// time to learn). The runner applies effects and stores the update; nothing here does I/O. Tested
// as a table per kind of answer (tests/unit/outcome_test.cc).
#include <optional>
#include <string>

#include "api/client.h"
#include "queue/run_store.h"
#include "sched/job_table.h"
#include "sched/poll_timing.h"
#include "sched/run_observer.h"
#include "settings.h"
#include "util/backoff.h"

namespace reelq {

// The settings and state an answer is read with.
struct OutcomeRules {
  OnAmbiguous on_ambiguous = OnAmbiguous::resubmit;
  int max_attempts = 5;
  double time_scale = 1;         // to say durations in the API's time
  TimeMs not_found_stretch = 0;  // scaled k_not_found_stretch_s
  PollTiming timing;
};

// A take's event line: `message` follows "JOB (take N): ".
struct TakeLine {
  LogLevel level = LogLevel::info;
  const char* event = "";
  std::string message;
  std::string fail_code;
};

struct Outcome {
  JobUpdate update;
  EventRecord event;
  std::optional<TakeLine> line;  // said after the update is stored
  std::string note;              // a run-level line (info), e.g. another batch's task let go
  LogLevel note_level = LogLevel::info;
  bool hold_slot = false;         // the task may exist without a taskId reelq holds: it takes a slot
  bool credits_out = false;       // no more submits this run
  bool start_download = false;    // success: fetch its files (once the update is stored)
  bool timed_out = false;         // given up on at its deadline: the API may still count it
  bool task_ended = false;        // one of the key's slots is free now (for the 429 rules)
  std::optional<TimeMs> learned;  // a render time for the model
};

// The answer to the submit of job `j`, sent with body already stored (`submitting`). `j` is the
// run's copy and is brought up to date with the update.
Outcome submit_outcome(RunJob& j, const SubmitResult& r, TimeMs now, const RenderEstimate& estimate,
                       const OutcomeRules& rules, Backoff& backoff);

// The answer to a status poll of job `j`'s task.
Outcome status_outcome(RunJob& j, const StatusResult& r, TimeMs now, const RenderEstimate& estimate,
                       const OutcomeRules& rules, Backoff& backoff);

// The render deadline passed while the task was running (or its status unreadable): stop waiting.
// Its taskId stays, so `reelq resume` asks the API again and a late result is still collected.
Outcome time_out(RunJob& j, const std::string& why, TimeMs now, const OutcomeRules& rules, EventRecord event);

}  // namespace reelq
