#pragma once
// One key of a run's pool and everything the API counts per key: its rolling request budget, its
// slots (with the slots held by tasks it cannot poll), its 429 pauses and learned cap, its credits
// and whether the API still takes it. A run of one key has one lane; a keys file of several keys
// (docs/keys.md) gives the run one lane each, and the planner fills every lane's free slots
// (docs/scheduler.md "A pool of keys").
#include <optional>
#include <string>

#include "api/dispatch.h"
#include "api/key_identity.h"
#include "sched/key_limits.h"
#include "sched/request_window.h"
#include "sched/slot_holds.h"

namespace reelq {

// A key as the run is given it: who it is, and its caps (never the key itself).
struct PoolKey {
  KeyIdentity key;
  int rpm = 60;
  int max_concurrent = 10;
  std::string refused;   // "": the API takes it; else why it was refused before the run (the balance check)
  bool waiting = false;  // another reelq on this machine drives it: it joins once its lease is free
};

struct KeyLane {
  KeyLane(PoolKey pool_key, TimeMs window_ms, const KeyLimitsConfig& limits_config)
      : key(std::move(pool_key.key)),
        rpm(pool_key.rpm),
        max_concurrent_setting(pool_key.max_concurrent),
        window(pool_key.rpm, window_ms),
        limits(limits_config),
        waiting(pool_key.waiting),
        refused(!pool_key.refused.empty()),
        refused_message(std::move(pool_key.refused)) {}

  // The cap on running tasks: the setting, or lower once the API has shown it is.
  int max_concurrent() const { return limits.max_concurrent(max_concurrent_setting); }
  // May be given a new job: the API takes the key and it has credits.
  bool takes_work() const { return !refused && !waiting && !credits_out; }
  // Is driven by this run now: the API takes it and no other reelq drives it.
  bool driven() const { return !refused && !waiting; }

  KeyIdentity key;
  int rpm;
  int max_concurrent_setting;
  RequestWindow window;
  KeyLimits limits;          // what the key's 429s said: pauses, held submits, a learned cap
  SlotHolds holds;           // slots held by tasks this run cannot poll
  TimeMs paused_until = 0;   // after a rate 429: no request with this key before then
  bool polls_first = false;  // its last submit was refused: a due poll goes next
  // Another reelq on this machine drives the key (cli/key_leases.h): nothing is sent with it until
  // its lease is free; then its budget starts full, since that run's last minute is not known here.
  bool waiting = false;
  TimeMs next_join_try = 0;

  // The API refused the key (401/403): it leaves the pool; its tasks are left at the API, unpolled.
  bool refused = false;
  std::string refused_message;

  // Credits ran out (run_credits.cc): no new job; the balance is read again until a top-up or the
  // wait's end.
  bool credits_out = false;
  TimeMs credits_wait_until = 0;
  TimeMs next_balance_at = 0;
  Ticket balance_ticket = 0;  // the read on the wire (0: none)
  SendId balance_place = k_no_room;
  std::optional<double> credits_floor;  // the balance read first after credits ran out
};

}  // namespace reelq
