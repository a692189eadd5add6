#pragma once
// `--on-finish CMD` and `--notify URL`: the end-of-night signal of `reelq run` and `resume`. Neither
// can hold up or fail the run: both run at once within one `timeout_s` (a hook still running then
// is killed with its process group, a webhook not answered is abandoned), a failure is one line on
// stderr, and the run's exit status stays what it was.
// Neither ever gets the API key: not in the hook's environment, not in what is sent.
#include <iosfwd>
#include <string>

#include "cli/finish_report.h"
#include "util/result.h"

namespace reelq {

struct FinishHooks {
  std::string on_finish;   // run through /bin/sh -c ("" = none)
  std::string notify_url;  // POSTed the report's JSON ("" = none)
  int timeout_s = 30;      // --hook-timeout: one deadline for both, which run side by side
  std::string ca_file;     // for an https notify URL ("" = the system's trust store)

  // Whether a run has anything to tell at its end (else it gathers nothing for it).
  bool any() const { return !on_finish.empty() || !notify_url.empty(); }
};

// Refuses (ErrorKind::usage) a --notify URL that could never be POSTed to, when the run starts:
// not http(s), no host, malformed (cli/notify_url.h). The message names at most scheme and host.
Status check_finish_hooks(const FinishHooks& hooks);

// Runs the hook and the notify side by side, both within one deadline of hooks.timeout_s (a hook
// still running then is killed, a webhook that has not answered is abandoned); says on `err`
// what went wrong, and never changes the run's exit status.
// `key`: the API key, kept out of the hook's environment wherever it appears.
// `keys`: the run's keys, kept out of the hooks' environment.
void run_finish_hooks(const FinishHooks& hooks, const FinishReport& report, const std::vector<std::string>& keys,
                      std::ostream& err);

}  // namespace reelq
