#pragma once
// What a render is expected to take before any is seen: the API page's "about 3 minutes" for an
// 8 s 720p video, and how much longer or shorter other classes are. Both the estimate (cost/) and
// the scheduler's learned model (sched/render_model) start from it, so it lives below both.
#include <string>

#include "util/clock.h"

namespace reelq {

// The API page's "about 3 minutes" for an 8 s video at 720p: the prior before any render is seen.
constexpr TimeMs k_prior_render_ms = 180000;

// How long a render of this input (the API's input JSON) takes next to an 8 s 720p one: 0.7 for
// 4 s, 1.35 for 12 s, times 1.25 for 1080p and the large sizes.
double render_class_factor(const std::string& input_json);

}  // namespace reelq
