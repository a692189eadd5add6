#pragma once
// Before a run submits anything: can the key's balance pay for what is left to submit? One
// balance request, within the rate budget (it counts like any other API request).
#include <optional>
#include <string>

#include "api/client.h"
#include "cost/estimate.h"
#include "queue/run_store.h"
#include "settings.h"

namespace reelq {

enum class BalanceKind {
  covered,      // the balance pays for every render left to submit (or nothing is left)
  short_funds,  // it does not: `affordable` of `renders` at most
  key_refused,  // 401/403
  unreachable,  // the request could not leave this machine (refused, DNS, connect timeout): a run
                // must not start, it could do nothing but wait
  unknown,      // no usable answer, or renders the price table cannot price: the run may go on
};

struct BalanceVerdict {
  BalanceKind kind = BalanceKind::unknown;
  double balance = 0;
  double cost = 0;     // estimated, of the renders left to submit
  int renders = 0;     // left to submit (queued, or mid-submit and to be resubmitted)
  int affordable = 0;  // of those, in manifest order, that the balance covers
  int beyond_cap = 0;  // renders left that the spend cap will not let through: not asked of the balance
  std::string message;
  std::optional<BalanceResult> read;  // the balance answer used, when one was asked for or given
};

// Asks the API for the balance, once the request budget has room, and records the event.
BalanceResult read_balance(RunStore& store, ApiClient& api, Clock& clock, const Settings& settings);

// `already_read`: an answer read_balance gave moments ago (`reelq run` asks before it enqueues,
// so that an unreachable API stops it before anything is written); nullptr asks now.
// `committed`: what the batch may have cost already; with settings.max_spend, only the renders the
// cap lets through (in order, as sched/spend_cap.h reserves them) are set against the balance.
BalanceVerdict check_balance(RunStore& store, ApiClient& api, Clock& clock, const std::string& batch,
                             const std::string& model, const PriceTable& prices, const Settings& settings,
                             const BalanceResult* already_read = nullptr, double committed = 0);

}  // namespace reelq
