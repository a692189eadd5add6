#pragma once
// What a render is expected to take before any is seen, and what class of render a job is.
//
// The class is read once, here, from the job's input object (the API's input JSON, written by
// manifest/job_input): its duration and its size (text-to-video) or resolution (image-to-video).
// The estimate (cost/), the price (cost/) and the scheduler's learned model (sched/render_model)
// all start from it, so it lives below all three. Parsed as JSON, never searched as text: a prompt
// that says "1080p" or "duration":12 is a prompt, not a class.
#include <string>

#include "util/clock.h"

namespace reelq {

// The API page's "about 3 minutes" for an 8 s video at 720p: the prior before any render is seen.
constexpr TimeMs k_prior_render_ms = 180000;

struct RenderSpec {
  std::string tier;  // size for text-to-video, resolution for image-to-video
  int duration = 8;
  double time_factor = 1;  // render_class_factor: how long it renders next to an 8 s 720p one
};

// The job's class, from its input JSON. An input that cannot be read is an 8 s render of no tier.
RenderSpec render_spec_of(const std::string& input_json);

// How long a render of this class takes next to an 8 s 720p one: 0.7 for 4 s, 1.35 for 12 s, times
// 1.25 for 1080p and the large sizes.
double render_class_factor(int duration, const std::string& tier);

// A name for the class ("12/1792*1024"): renders of one class are learned together.
std::string render_class_key(const RenderSpec& spec);

}  // namespace reelq
