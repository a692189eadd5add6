#pragma once
// `--since` / `--until` of status, batches and report: the stretch of time whose submits the spend
// lines count. A bound is a UTC date or time as iso_utc prints it, or an age ("12h": that long ago).
#include <optional>
#include <string>

#include "queue/operations.h"
#include "util/clock.h"
#include "util/result.h"

namespace reelq {

// "2026-12-04" (midnight UTC), "2026-12-04T18:00", "2026-12-04T18:00:05Z", or "90m", "12h", "2d"
// before `now`. `flag` names the option in the error: "--since: '...' is not a date ...".
Result<TimeMs> parse_time_bound(const std::string& flag, const std::string& text, TimeMs now);

// Both bounds ("" = open); an --until not after --since is refused.
Result<TimeWindow> parse_time_window(const std::string& since, const std::string& until, TimeMs now);

// " since 2026-12-04T00:00:00Z until ...", "" for an open window: said after "spent on NAME".
std::string describe_window(const TimeWindow& window);

}  // namespace reelq
