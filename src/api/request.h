#pragma once
// The bodies reelq sends to generateTask, built exactly as the API page shows them, around a job's
// input (manifest/job_input.h).
#include <string>

#include "settings.h"

namespace reelq {

// The whole generateTask body around an input object. provider is always "official", as the API
// page asks; callback_url only with RequestType::callback.
std::string generate_body(const std::string& input, RequestType type, const std::string& callback_url);

}  // namespace reelq
