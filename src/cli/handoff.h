#pragma once
// `reelq run` and `reelq enqueue` into a queue whose runner is active: the jobs join its night
// (queue/handoff.h says how no job is left for no one), and the runner's side of it.
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "manifest/manifest.h"
#include "queue/queue.h"
#include "util/clock.h"

namespace reelq {

enum class HandOff {
  added,          // the jobs are in the queue; its runner renders them in the same run
  runner_ending,  // nothing added: no runner takes them (ending, or a short command holds the
                  // lock); wait for the lock and go on as usual
};

// Adds `m`'s new jobs to the queue at `db_path` for its active runner. While a runner drains, the
// queue only takes new jobs: changed jobs are refused (`options` asking to replace them is refused:
// that waits for the runner to end) and jobs missing from the manifest are left as they are. Says
// what it did on `out`. `named_api`: the API this command was told to use (--api-base,
// REELQ_API_BASE), if any; one that is not where the runner's key goes is refused, nothing added
// (the batch would be drained at the runner's API, with its key).
Result<HandOff> add_to_running_night(const std::string& db_path, const Manifest& m, const std::string& manifest_path,
                                     EnqueueOptions options, const std::optional<std::string>& named_api,
                                     std::ostream& out, std::ostream& err);

// The runner's side: once it has drained what it took (its worst exit code so far `worst`), the
// batches added since `since` are drained in turn with `drain_one`, until none is left (the runner
// then takes no more). A run that ended short (`worst` unfinished or worse, or a stop) drains
// nothing more. Returns the worst exit code.
class RunnerScope;
int drain_added(RunnerScope& runner, int worst, const std::function<int(const std::string&)>& drain_one,
                std::ostream& out);

// Held by a runner from the moment it takes added jobs: however the command ends, it takes no more
// before the lock is let go, and says on `err` which batches others added were left for `reelq
// resume` (not those it drained itself: their summaries say how to go on).
class RunnerScope {
 public:
  RunnerScope(Queue& queue, TimeMs since, std::ostream& err) : m_queue(queue), m_since(since), m_err(err) {}
  RunnerScope(const RunnerScope&) = delete;
  RunnerScope& operator=(const RunnerScope&) = delete;
  ~RunnerScope();

  // A batch this run drains itself.
  void own(const std::string& batch) { m_own.push_back(batch); }
  // Also appends the batches it leaves for `reelq resume` to `left` (the finish report's).
  void report_left_to(std::vector<std::string>* left) { m_left_out = left; }

 private:
  friend int drain_added(RunnerScope&, int, const std::function<int(const std::string&)>&, std::ostream&);
  Queue& m_queue;
  TimeMs m_since;
  std::ostream& m_err;
  std::vector<std::string> m_own;
  std::vector<std::string>* m_left_out = nullptr;
};

}  // namespace reelq
