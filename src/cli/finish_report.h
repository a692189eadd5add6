#pragma once
// What `--on-finish` and `--notify` are told when a run or resume ends (cli/finish_hooks.h): the
// counts over every batch it set out to drain (the not drained ones named, with their takes left), the spend, the exit
// status, where to look. Pure: no key, no process, no network here, so its tests read the exact text.
#include <string>
#include <vector>

namespace reelq {

// How a batch the run set out to drain ended: its summary's "end" (finished, interrupted,
// spend_capped, ...), or "not_drained" when the run stopped before that batch's summary (refused,
// stopped before it began, a resume that stopped before reaching it).
struct BatchEnd {
  std::string batch;
  std::string end;
  int left = 0;  // takes not in an end state
};

// A batch's takes by kind of state, as the queue holds them.
struct BatchCounts {
  int succeeded = 0;
  int failed = 0;
  int cancelled = 0;
  int left = 0;
};

struct FinishReport {
  std::string command;  // "run" or "resume"
  int exit_code = 0;
  int succeeded = 0;
  int failed = 0;
  int cancelled = 0;
  int left = 0;
  std::vector<std::string> spent;        // one line of words per batch drained ("" not priced)
  std::string db;                        // the queue database ("" when the run stopped before it)
  std::vector<std::string> batches;      // the batches drained, in order
  std::vector<std::string> batch_json;   // each one's summary, as --log-json writes it (one object)
  std::vector<std::string> output_dirs;  // each one's files line
  std::vector<BatchEnd> ends;            // each batch's end, drained or not; those with takes left
                                         // are the report's "not_drained"
  bool handed_off = false;               // the batch joined the night of a reelq already running on
                                         // the queue: its end is that runner's, not this command's
};

// Adds a batch the run stopped before summarizing (`counts` from the queue): to the totals, to
// `batches` with a summary of its own ("end":"not_drained"), and to `ends`.
void add_not_drained(FinishReport& r, const std::string& batch, const BatchCounts& counts);

// The report as one JSON object (no newline): what --notify POSTs and the hook reads on stdin.
std::string finish_json(const FinishReport& r);

// The REELQ_* variables the hook gets, as NAME=VALUE (README and docs/cli.md list them).
std::vector<std::string> finish_variables(const FinishReport& r);

// `environ` less what must not reach a hook: APIXO_API_KEY, REELQ_NOTIFY and every variable whose
// value holds one of `secrets` (the run's keys: read from a file, named by a keys file, or copied
// into another variable; and the --notify URL), and those `extra` sets; then `extra` (NAME=VALUE)
// added.
std::vector<std::string> hook_environment(char* const* environ, const std::vector<std::string>& secrets,
                                          const std::vector<std::string>& extra);

// The `reelq report` line that writes this run's HTML report (`--on-finish` hooks run it).
std::string report_command(const FinishReport& r);

}  // namespace reelq
