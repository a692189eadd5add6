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

// Fail codes reelq gives a take whose task is still the API's, with a result that may yet be
// collected: `reelq retry` sends such a take back to `running` (polled again under the same taskId)
// instead of resubmitting it, which would pay for the render twice.
inline bool fail_keeps_task(std::string_view fail_code) {
  return fail_code == "STATUS_MISMATCH" || fail_code == "RESULT_UNREADABLE" || fail_code == "RENDER_TIMEOUT";
}

// Whether a take whose spec the manifest changed may be reset to render the new spec (`run
// --replace-changed`, and what `estimate` prices for it). Never one at the API now (its render
// would be reported as the new spec's), nor one already rendered and paid for (`has_results`), nor
// one whose task may yet be (a reset forgets its taskId while the API still renders or holds it).
inline bool replaceable_when_changed(JobState s, std::string_view fail_code, bool has_task, bool has_results) {
  return s == JobState::queued || s == JobState::cancelled ||
         (s == JobState::failed && !has_results && !(has_task && fail_keeps_task(fail_code)));
}

// The fail code of a take whose submit the API answered with success but no usable taskId: the
// task exists and is paid for, and reelq cannot ask about it. Nothing resubmits it by itself;
// `reelq retry` does, and says first that this pays for a second render.
inline constexpr std::string_view k_task_id_unusable = "TASK_ID_UNUSABLE";

}  // namespace reelq
