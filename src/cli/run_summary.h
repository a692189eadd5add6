#pragma once
// What `reelq run`/`resume` say when a batch's drain ends: the summary for people, the same as one
// JSON line (--log-json), and the exit status it ends with. Pure: everything comes in the arguments.
#include <string>
#include <string_view>
#include <vector>

#include "cli/run_money.h"
#include "sched/runner.h"
#include "util/clock.h"

namespace reelq {

struct SummaryFacts {
  std::string batch;
  RunSummary summary;
  std::string files;              // the output folder, and any earlier one (files_line)
  MoneyLines money;               // "" (text) or "null" (JSON) when not known
  std::string resume;             // the command that continues the batch
  std::vector<std::string> next;  // what to type about the failures (cli/next_steps.h)
  // Spend capped: the cap that pays for every take left (CapReach::to_finish); nullopt: unknown.
  std::optional<double> spend_to_finish;
};

// "finished", "interrupted", ...: the `end` of the JSON summary.
std::string_view to_string(RunEnd end);

// The lines a person reads, each ending in "\n".
std::string summary_text(const SummaryFacts& facts);

// --log-json: the summary as one more JSON line (ending in "\n"), so stdout holds nothing else.
// `now`: its "at".
std::string summary_json(const SummaryFacts& facts, TimeMs now);

// 0 all done, 1 some jobs failed, 3 stopped with work left, 4 the key refused (README).
int exit_code_of(const RunSummary& summary);

}  // namespace reelq
