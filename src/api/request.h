#pragma once
// The bodies reelq sends to generateTask, built exactly as the API page shows them.
#include <string>

#include "manifest/manifest.h"
#include "settings.h"

namespace reelq {

// The request's "input" object for one job, serialised canonically (fixed key order, no spaces),
// so two specs are the same job exactly when their strings are equal.
std::string input_json(const JobSpec& spec);

// The whole generateTask body around an input object. provider is always "official", as the API
// page asks; callback_url only with RequestType::callback.
std::string generate_body(const std::string& input, RequestType type, const std::string& callback_url);

}  // namespace reelq
