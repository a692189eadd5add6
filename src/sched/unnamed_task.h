#pragma once
// A submit answered "success" without a taskId reelq can use (none, 10 KB of text, NUL bytes): the
// answer proves the task was made, so sending the submit again pays for a second render. The
// take is held at once instead of spending its attempts (issue 17: five tasks for one take).
#include <string>

#include "queue/run_store.h"
#include "util/clock.h"

namespace reelq {

// The update that holds such a take: failed TASK_ID_UNUSABLE, with a message saying the task is
// paid for and what `reelq retry` would cost. `attempts` is the take's count after this submit.
JobUpdate hold_unnamed_task(const std::string& answer_message, int attempts, TimeMs now);

}  // namespace reelq
