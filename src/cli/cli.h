#pragma once
// The command line: parses arguments with CLI11 and runs one command. main() is only this call.
#include <iosfwd>

namespace reelq {

// Exit codes, as docs/cli.md lists them.
enum ExitCode : int {
  k_exit_ok = 0,
  k_exit_jobs_failed = 1,
  k_exit_usage = 2,       // bad usage, manifest or settings
  k_exit_unfinished = 3,  // stopped with work left that `reelq resume` finishes
  k_exit_key_refused = 4,
  k_exit_internal = 70,
};

int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace reelq
