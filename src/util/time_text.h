#pragma once
// Times as people and spreadsheets read them.
#include <string>

#include "util/clock.h"

namespace reelq {

// ISO 8601 in UTC to the second: "2026-11-25T18:03:01Z".
std::string iso_utc(TimeMs at);

// A duration: "2h05m", "3m20s", "45s", "300ms".
std::string format_duration(TimeMs ms);

// How long ago or ahead, coarsely: "45s", "3m", "2h05m", "3d04h".
std::string format_age(TimeMs ms);

}  // namespace reelq
