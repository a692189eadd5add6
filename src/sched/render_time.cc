#include "sched/render_time.h"

#include <algorithm>

namespace reelq {

std::optional<TimeMs> bound_render_time(TimeMs claimed, TimeMs lifetime, TimeMs deadline) {
  if (claimed <= 0) {
    return std::nullopt;
  }
  // A lifetime of 0 or less is unknown (a submit time stored by a clock that was ahead): only the
  // deadline bounds the claim then.
  TimeMs bound = lifetime > 0 ? std::min(lifetime, deadline) : deadline;
  return std::min(claimed, std::max<TimeMs>(1, bound));
}

LearnedRender learned_render(const TaskStatus& s, TimeMs lifetime, TimeMs deadline) {
  LearnedRender r;
  if (s.cost_time) {
    r.cost_time = bound_render_time(*s.cost_time, lifetime, deadline);
  }
  std::optional<TimeMs> took = r.cost_time;
  TimeMs between = 0;  // the API's own dates, which may be anything: no overflow on the way
  if (!took && s.complete_time && s.create_time &&
      !__builtin_sub_overflow(*s.complete_time, *s.create_time, &between)) {
    took = bound_render_time(between, lifetime, deadline);
  }
  if (!took) {
    took = bound_render_time(lifetime, lifetime, deadline);
  }
  r.took = took.value_or(0);  // 0: nothing to learn (RenderModel::observe ignores it)
  return r;
}

}  // namespace reelq
