#include "report/state_filter.h"

#include <fmt/format.h>

#include <algorithm>

#include "util/text.h"

namespace reelq {

Result<JobState> parse_state_flag(std::string_view text) {
  if (auto state = parse_job_state(text)) {
    return *state;
  }
  std::vector<std::string> names;
  for (JobState s : k_all_states) {
    names.emplace_back(to_string(s));
  }
  std::string near = nearest_word(text, names);
  return Error{ErrorKind::usage,
               fmt::format("--state: unknown state '{}'{}; the states are: {}", text,
                           near.empty() ? "" : fmt::format(" (did you mean '{}'?)", near), fmt::join(names, ", "))};
}

void keep_rows_in_state(std::vector<BatchReport>& reports, JobState state) {
  for (BatchReport& report : reports) {
    std::erase_if(report.rows, [&](const ReportRow& row) { return row.state != state; });
  }
}

}  // namespace reelq
