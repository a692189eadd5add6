#include "sched/task_lost.h"

namespace reelq {

bool task_lost(const NotFoundStreak& streak, TimeMs now, TimeMs stretch) {
  // Both: many quick 404s (a short backoff) prove nothing about a replica that lags by minutes,
  // and one 404 after a long pause is a single look, not a stretch of them.
  return streak.count >= k_not_found_min_answers && now - streak.first_at >= stretch;
}

}  // namespace reelq
