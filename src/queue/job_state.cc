#include "queue/job_state.h"

namespace reelq {

std::string_view to_string(JobState state) {
  switch (state) {
    case JobState::queued:
      return "queued";
    case JobState::submitting:
      return "submitting";
    case JobState::running:
      return "running";
    case JobState::downloading:
      return "downloading";
    case JobState::succeeded:
      return "succeeded";
    case JobState::failed:
      return "failed";
    case JobState::cancelled:
      return "cancelled";
  }
  return "?";
}

std::optional<JobState> parse_job_state(std::string_view text) {
  for (JobState s : k_all_states) {
    if (to_string(s) == text) {
      return s;
    }
  }
  return std::nullopt;
}

}  // namespace reelq
