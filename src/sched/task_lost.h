#pragma once
// When the API's 404s about a task reelq holds an id for mean the task is gone. A task the API
// gave an id for exists and may be rendering (and charged): an API replica that has not seen it
// yet, or another key of the same account after a resume, answers 404 all the same. So a run of
// 404s means "lost" only when it has lasted a long stretch of the API's time; resubmitting before
// that would pay twice for one video.
#include "util/clock.h"

namespace reelq {

// The 404s about one task since the last answer that was not a 404.
struct NotFoundStreak {
  TimeMs first_at = 0;  // when the first 404 of the run of 404s came
  int count = 0;        // 404s in a row
};

// The stretch of unbroken 404s after which a task is lost, in the API's seconds (scaled like the
// runner's other times), and the fewest 404s that may show it.
inline constexpr double k_not_found_stretch_s = 600;
inline constexpr int k_not_found_min_answers = 3;

// Whether `streak`, seen at `now`, shows the task lost: at least k_not_found_min_answers 404s,
// the first of them `stretch` (k_not_found_stretch_s, time-scaled) or longer ago.
bool task_lost(const NotFoundStreak& streak, TimeMs now, TimeMs stretch);

}  // namespace reelq
