#pragma once
// What to type after a night with failures, by fail code: a user who reads "failures:
// CONTENT_VIOLATION 2" should not have to find out in the docs how to fix and re-run.
#include <map>
#include <string>
#include <vector>

namespace reelq {

struct NextStepsContext {
  std::string manifest;  // absolute
  std::string db;        // absolute
  std::string batch;
};

// One line per kind of remedy, in the order to do them; none for RENDER_TIMEOUT (the summary has
// its own line for it) or when there are no failures.
std::vector<std::string> next_steps(const std::map<std::string, int>& failures_by_code, const NextStepsContext& at);

}  // namespace reelq
