#pragma once
// What `reelq run` and `resume` hold before their first request: the keys, the queue database and
// its lock, the runner's mark in the queue (cli/handoff.h), the keys' leases (cli/key_leases.h)
// and the balance read; and the drain options made from them.
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/drain.h"
#include "cli/key_leases.h"
#include "cli/run_key.h"
#include "queue/queue.h"
#include "sched/balance_check.h"
#include "util/result.h"
#include "util/run_lock.h"

namespace reelq {

struct Prepared {
  std::unique_ptr<Queue> queue;
  std::optional<RunLock> lock;
  std::string key;
  DrivenKey driven;
  std::vector<PooledKey> more_keys;   // the keys file's others
  std::vector<std::string> warnings;  // the keys file's
  KeyLeases leases;                   // held for the whole process: one key, one driver (cli/key_leases.h)
  TimeMs runner_since = 0;            // jobs added to the queue from then on come to this run (cli/handoff.h)
};

// The key, the database and its lock, and the queue marked as this process's to run (jobs added
// from then on come to it). Errors: no key, the lock held (ErrorKind::busy), the database.
Result<Prepared> prepare(const RunFlags& flags);

// Says the keys file's warnings on `err`.
void say_key_warnings(const Prepared& p, std::ostream& err);

// Before the first request with the keys (the balance read included): wait while another reelq on
// this machine drives one of them. `what`: the batches, for the lease's holder line. True when a
// stop was asked for while waiting.
bool lease_keys(Prepared& p, const std::string& what, const RunFlags& flags, std::ostream& err);

// The balance, read with the first key no other reelq drives.
BalanceResult read_balance_of(Prepared& p, const Settings& settings, const RunFlags& flags);

// The drain options for `p`'s keys and leases; `finish` is filled when the flags ask for hooks.
DrainOptions drain_options(Prepared& p, const RunFlags& flags, FinishReport& finish);

}  // namespace reelq
