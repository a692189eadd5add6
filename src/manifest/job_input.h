#pragma once
// A job's input as the API reads it: the "input" object of generateTask. The queue stores it, the
// estimate prices it and the scheduler classes its render time from it, so it lives with the
// manifest's JobSpec and not in api/ (which only wraps it in a request body).
#include <string>

#include "manifest/manifest.h"

namespace reelq {

// The request's "input" object for one job, serialised canonically (fixed key order, no spaces),
// so two specs are the same job exactly when their strings are equal.
std::string input_json(const JobSpec& spec);

}  // namespace reelq
