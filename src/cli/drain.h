#pragma once
// Drains one batch through the Runner: the guards and records before anything is sent, the parts
// the run is built from (cli/run_parts.h), the loop, then the summary and the exit status.
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "api/client.h"
#include "cli/commands.h"
#include "cli/finish_report.h"
#include "cli/key_leases.h"
#include "queue/queue.h"

namespace reelq {

// A run of the batch, or the rehearsal: which decides what its database may talk to, whether the
// balance is checked, and how the batch is continued.
enum class DrainMode { run, rehearsal };

// The key a run drives, as its keys file names it (docs/keys.md); the secret stays with the caller.
struct DrivenKey {
  std::string name = "default";
  int rpm = 0;             // 0: the batch's setting (the entry named none)
  int max_concurrent = 0;  // 0: the batch's setting
};

// Another key of a pool: the secret stays in memory, with the caller's other keys.
struct PooledKey {
  std::string secret;
  DrivenKey driven;
};

struct DrainOptions {
  DrivenKey key;
  std::vector<PooledKey> more_keys;  // a keys file's other keys: the run drives the pool
  // The keys' leases (cli/key_leases.h): a key another reelq drives waits out of the pool and
  // joins when its lease frees. nullptr: no leases (a rehearsal).
  KeyLeases* leases = nullptr;
  DrainMode mode = DrainMode::run;
  const BalanceResult* balance = nullptr;  // read just before (`reelq run`), or nullptr: asked when needed
  // In a rehearsal, the simulator's tasks per input, read at the summary (settles submits whose
  // answer was lost).
  std::function<std::map<std::string, int>()> sim_created;
  // When given, the batch's summary is added to it, for --on-finish and --notify.
  FinishReport* finish = nullptr;
};

// Drains `batch`; the database's lock and the key are the caller's. Errors are reported through
// report_error; returns the exit status.
int drain(Queue& queue, const std::string& batch, const RunFlags& flags, const std::string& key, CommandIo io,
          const DrainOptions& options = {});

}  // namespace reelq
