#pragma once
// What one finished render teaches the model of render times, made possible before it is learned
// or stored. An API's costTime (or completeTime - createTime) is a claim: a huge one (10^12 ms)
// once put the next first poll 25 years out, and one in the wrong unit (1000 times too long)
// slowed every poll after it. A render cannot have taken longer than reelq has known its task
// (from its submit to the answer that reported it), nor longer than the render deadline.
#include <optional>

#include "api/answer.h"
#include "util/clock.h"

namespace reelq {

// `claimed` bounded by `lifetime` (when known: > 0) and by `deadline`; nullopt for a claim that
// cannot be a duration (0 or less).
std::optional<TimeMs> bound_render_time(TimeMs claimed, TimeMs lifetime, TimeMs deadline);

struct LearnedRender {
  std::optional<TimeMs> cost_time;  // the costTime to store: bounded, or none
  TimeMs took = 0;                  // what the model learns: the best bounded figure there is
};

// From a success answer: its costTime, else completeTime - createTime, else the lifetime itself
// (an upper bound that includes the wait for the poll), each bounded as above.
LearnedRender learned_render(const TaskStatus& s, TimeMs lifetime, TimeMs deadline);

}  // namespace reelq
