#pragma once
// The runs of each batch with the key's balance read as each started and ended (schema version 8),
// and what a batch cost as the summary, `status`, `batches` and the reports say it: reelq's count of
// the tasks created, beside the balance difference of the runs read at both ends.
#include <SQLiteCpp/Database.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cost/balance_settle.h"
#include "cost/spend.h"
#include "queue/operations.h"
#include "util/clock.h"
#include "util/result.h"

namespace reelq {

struct RunRecord {
  std::int64_t id = 0;
  std::string batch;
  TimeMs started_at = 0;
  std::optional<TimeMs> ended_at;  // nullopt: running, or killed
  std::optional<double> balance_before;
  std::optional<double> balance_after;
};

// A run of `batch` begins at `at`, with the balance read just before (nullopt: not read).
Result<std::int64_t> start_run(SQLite::Database& db, const std::string& batch, TimeMs at,
                               std::optional<double> balance_before);
// It ends at `at`, with the balance read just after (nullopt: not read).
Status end_run(SQLite::Database& db, std::int64_t run, TimeMs at, std::optional<double> balance_after);

// The runs of `batch` that started in `window`, oldest first.
Result<std::vector<RunRecord>> batch_runs(SQLite::Database& db, const std::string& batch,
                                          const TimeWindow& window = {});

// What a batch cost, as every command says it.
struct BatchMoney {
  Spend spend;            // every submit in the window (the window's spend line)
  std::map<std::string, Spend> by_key;  // the same, by the key of each take (cost/spend.h)
  BalanceAround balance;  // the runs in the window read before and after (runs = 0: none)
  Spend spend_in_read;    // the submits made during those runs: what the difference is set against
};

// `created`: the simulator's tasks per input, to settle submits of unknown fate (a rehearsal);
// nullptr otherwise.
Result<BatchMoney> batch_money(SQLite::Database& db, const std::string& batch, const std::string& model,
                               const PriceTable& prices, const TimeWindow& window = {},
                               const std::map<std::string, int>* created = nullptr);

// The same for one run: its submits, and its balance (nullopt figures when not read).
Result<BatchMoney> run_money(SQLite::Database& db, std::int64_t run, const std::string& model, const PriceTable& prices,
                             const std::map<std::string, int>* created = nullptr);

}  // namespace reelq
