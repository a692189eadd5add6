#pragma once
// Adding to a running night. A queue has at most one runner (the run lock, util/run_lock.h). A
// `reelq run` or `enqueue` that finds the queue's runner active adds its jobs to the queue, and the
// runner drains them in the same process once it has drained what it took. The database is the
// handshake, so no added job is ever left for no one (docs/queue.md "Adding to a running night"):
//
//  - a runner, once it holds the lock, says so (database_info key 'runner' = its pid); when it has
//    nothing left it looks for batches with jobs added since it started and, finding none, takes
//    that back in the same IMMEDIATE transaction, before it lets the lock go;
//  - an adder checks inside its enqueue's transaction that the lock's holder is that runner: then
//    the runner will see its jobs (its last look comes after the adder's commit); else (a runner
//    ending, or the lock held by a short command such as `retry`) nothing is added, and the adder
//    waits for the lock and runs the batch itself (`run`) or enqueues as usual (`enqueue`). A
//    runner killed leaves its mark, but no lock: no adder takes this path then.
#include <SQLiteCpp/Database.h>

#include <optional>
#include <string>
#include <vector>

#include "util/clock.h"
#include "util/result.h"

namespace reelq {

// A runner has the lock: added jobs now go to it.
Status open_runner(SQLite::Database& db, long pid);

// The runner's look once it has drained what it took: the batches with queued jobs added at or
// after `since`, in the order they were made, less those in `own` (the runner's own batches: what
// they left is theirs to say); none (or `close`: the runner stops anyway): it takes no more, in the
// same transaction.
Result<std::vector<std::string>> take_added_or_close(SQLite::Database& db, TimeMs since, bool close,
                                                     const std::vector<std::string>& own);

// Where the runner's key goes now (database_info 'runner_api', 'runner_time_scale'), written as it
// starts each batch: a batch added to its night is drained there, not at the default API.
struct RunnerApi {
  std::string api_base;
  double time_scale = 1;
};
Status note_runner_api(SQLite::Database& db, const RunnerApi& api);
Result<std::optional<RunnerApi>> runner_api(SQLite::Database& db);

// An added batch no run has started yet takes the runner's API (RunnerApi) as its own, so that its
// settings resolve to where the runner's key goes; a batch with an API of its own keeps it.
Status adopt_runner_api(SQLite::Database& db, const std::string& batch);

// For an adder, inside its enqueue transaction: ok when the lock's holder (`holder_pid`) is a runner
// that takes added jobs; an error (ErrorKind::busy) otherwise.
Status runner_takes_added(SQLite::Database& db, long holder_pid);

}  // namespace reelq
