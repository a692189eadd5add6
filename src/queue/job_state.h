#pragma once
#include <array>
#include <optional>
#include <string_view>

namespace reelq {

// A job take's life: queued -> submitting (intent written, request going out) -> running (the API
// holds a taskId) -> downloading -> succeeded; or failed / cancelled. docs/queue.md has the diagram.
enum class JobState { queued, submitting, running, downloading, succeeded, failed, cancelled };

inline constexpr std::array<JobState, 7> k_all_states = {JobState::queued,      JobState::submitting, JobState::running,
                                                         JobState::downloading, JobState::succeeded,  JobState::failed,
                                                         JobState::cancelled};

std::string_view to_string(JobState state);
std::optional<JobState> parse_job_state(std::string_view text);
inline bool is_final(JobState s) {
  return s == JobState::succeeded || s == JobState::failed || s == JobState::cancelled;
}

}  // namespace reelq
