#pragma once
// `reelq report --state STATE`: a report of the takes in one state only.
#include <string_view>
#include <vector>

#include "report/report_data.h"
#include "util/result.h"

namespace reelq {

// The state named `text`; an unknown name is a usage error that lists the states there are.
Result<JobState> parse_state_flag(std::string_view text);

// Removes from each report the rows not in `state` (batches stay, even when none is left).
void keep_rows_in_state(std::vector<BatchReport>& reports, JobState state);

}  // namespace reelq
