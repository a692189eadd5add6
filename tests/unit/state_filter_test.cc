#include "report/state_filter.h"

#include <doctest/doctest.h>

using namespace reelq;

TEST_CASE("report --state keeps the takes in that state and names the states when it knows none") {
  std::vector<BatchReport> reports(2);
  for (JobState s : {JobState::failed, JobState::succeeded, JobState::failed}) {
    ReportRow row;
    row.state = s;
    reports[0].rows.push_back(row);
  }
  reports[1].rows.resize(1);  // queued
  auto state = parse_state_flag("failed");
  REQUIRE(state.ok());
  keep_rows_in_state(reports, *state);
  CHECK(reports[0].rows.size() == 2);
  CHECK(reports[1].rows.empty());
  auto unknown = parse_state_flag("fialed");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().kind == ErrorKind::usage);
  CHECK(unknown.error().message ==
        "--state: unknown state 'fialed' (did you mean 'failed'?); the states are: queued, submitting, running, "
        "downloading, succeeded, failed, cancelled");
  CHECK(parse_state_flag("done").error().message ==
        "--state: unknown state 'done'; the states are: queued, submitting, running, downloading, succeeded, failed, "
        "cancelled");
}
