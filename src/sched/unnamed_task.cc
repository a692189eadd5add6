#include "sched/unnamed_task.h"

#include <fmt/format.h>

#include "queue/job_state.h"

namespace reelq {

JobUpdate hold_unnamed_task(const std::string& answer_message, int attempts, TimeMs now) {
  JobUpdate u;
  u.state = JobState::failed;
  u.fail_code = std::string(k_task_id_unusable);
  u.fail_msg = fmt::format(
      "{}: the API made the task (paid for) but reelq cannot ask about it; held, not resubmitted: "
      "`reelq retry` resubmits it and pays for a second render",
      answer_message);
  u.attempts = attempts;
  u.completed_at = now;
  return u;
}

}  // namespace reelq
