#pragma once
// What a run cost, as its summary says it: the batch's spend (cost/spend.h) and the key's balance
// read before and after the run (queue/run_ledger.h), set against each other. Kept out of
// cmd_run.cc, which only calls these.
#include <SQLiteCpp/Database.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "api/client.h"
#include "cost/estimate.h"
#include "queue/operations.h"
#include "queue/run_store.h"
#include "sched/runner.h"
#include "settings.h"

namespace reelq {

// The balance to record as a run starts: the answer read moments ago (`read`, when one was; for a
// pool, the keys' sum), else one asked now of each key in `apis` (one request each, within its
// budget) and summed. nullopt when any could not be read.
std::optional<double> balance_at_start(RunStore& store, const std::vector<ApiClient*>& apis, const Settings& settings,
                                       const std::optional<BalanceResult>& read);

// The balance as the run ends, summed over the same keys: asked only when the run ended by itself
// (finished, credits out, slots held); an interrupted or failed run ends at once, without one more
// request.
std::optional<double> balance_at_end(RunStore& store, const std::vector<ApiClient*>& apis, const Settings& settings,
                                     RunEnd end);

struct MoneyLines {
  std::string spent;    // words, or (json) an object; "" / "null" when it cannot be priced
  std::string balance;  // this run's balance line, or (json) balance_json; "" / "null" when not read
};

// The summary's figures: everything the batch cost, and this run's balance against what it created.
// `created`: the simulator's tasks per input in a rehearsal (settles submits of unknown fate).
MoneyLines summary_money(SQLite::Database& db, const std::string& batch, const std::string& model,
                         std::optional<std::int64_t> run, const std::string& prices_flag, bool json, bool rehearsal,
                         const std::map<std::string, int>* created);

// `status`, `report` and `estimate`: what `batch` cost in `window` ("spent: ...") and the balance
// difference of its runs read at both ends, set against what those runs created ("" when none).
struct BatchMoneyText {
  std::string spent;
  std::string balance;
  std::string spent_json;    // spend_json
  std::string balance_json;  // balance_json, or null
  bool any = false;          // a task was created (or may have been) in the window
};
// The batch's max_spend as its last run was given it; nullopt: none (or it cannot be read).
std::optional<double> batch_spend_cap(SQLite::Database& db, const std::string& batch);

// A batch whose spend cap stops it: its next take in plan order (position, then take) does not fit
// under the cap beside what the batch may have cost already, so `resume` would submit nothing
// without a higher --max-spend. nullopt: no cap, nothing queued, or the next take fits.
struct SpendCapHold {
  double cap = 0;
  double committed = 0;
  std::optional<double> next_price;  // nullopt: the price table has none for it
  // The cap that pays for every queued take: committed plus their prices (nullopt: one is unpriced).
  std::optional<double> finishes_at;
  std::string currency = "USD";
};
std::optional<SpendCapHold> spend_cap_hold(SQLite::Database& db, const std::string& batch, const std::string& model,
                                           const PriceTable& prices);

std::optional<BatchMoneyText> batch_money_text(SQLite::Database& db, const std::string& batch, const std::string& model,
                                               const PriceTable& prices, const TimeWindow& window = {});

// What the runner needs to keep settings.max_spend (sched/spend_cap.h): a render's price by the
// table, and what the batch may have cost so far (tasks created and submits of unknown fate).
struct SpendPricing {
  std::function<std::optional<double>(const std::string& input_json)> price;
  std::function<Result<double>()> committed;
  std::string currency = "USD";
};
// How far `cap` reaches over `batch`'s queued takes, in plan order (position, then take), beside
// what the batch may have cost already (sched/spend_cap.h); `renders` is the queued takes, and
// `to_finish` the cap that pays for all of them.
CapReach takes_under_cap(SQLite::Database& db, const std::string& batch, const SpendPricing& pricing, double cap);

// An amount as --max-spend takes it, rounded up to the cent so that it pays for what it names: "12.00".
std::string cap_amount(double amount);

// From the price table `prices_flag` names ("" = the built-in one).
Result<SpendPricing> spend_pricing(SQLite::Database& db, const std::string& batch, const std::string& model,
                                   const std::string& prices_flag);

}  // namespace reelq
