#include "cli/run_money.h"

#include <fmt/format.h>

#include <cmath>

#include "cli/batch_settings.h"
#include "cli/commands.h"
#include "queue/run_ledger.h"
#include "sched/balance_check.h"
#include "sched/spend_cap.h"
#include "util/clock.h"

namespace reelq {

namespace {

// The keys' balances summed; nullopt as soon as one cannot be read (a sum of some would mislead).
std::optional<double> balances_now(RunStore& store, const std::vector<ApiClient*>& apis, const Settings& settings) {
  double sum = 0;
  for (ApiClient* api : apis) {
    auto balance = read_balance(store, *api, system_clock(), settings).balance;
    if (!balance) {
      return std::nullopt;
    }
    sum += *balance;
  }
  return apis.empty() ? std::nullopt : std::optional<double>(sum);
}

}  // namespace

std::optional<double> balance_at_start(RunStore& store, const std::vector<ApiClient*>& apis, const Settings& settings,
                                       const std::optional<BalanceResult>& read) {
  if (read) {
    return read->balance;  // asked once already: a failed answer is not asked again
  }
  return balances_now(store, apis, settings);
}

std::optional<double> balance_at_end(RunStore& store, const std::vector<ApiClient*>& apis, const Settings& settings,
                                     RunEnd end) {
  if (end != RunEnd::finished && end != RunEnd::credits_exhausted && end != RunEnd::slots_held &&
      end != RunEnd::spend_capped) {
    return std::nullopt;
  }
  return balances_now(store, apis, settings);
}

MoneyLines summary_money(SQLite::Database& db, const std::string& batch, const std::string& model,
                         std::optional<std::int64_t> run, const std::string& prices_flag, bool json, bool rehearsal,
                         const std::map<std::string, int>* created) {
  MoneyLines out{json ? "null" : "", json ? "null" : ""};
  auto prices = load_prices(prices_path(prices_flag));
  if (!prices) {
    return out;  // the run's outcome matters more than a price table that cannot be read
  }
  auto all = batch_money(db, batch, model, *prices, {}, created);
  if (!all) {
    return out;
  }
  std::optional<BatchMoney> this_run;
  if (run) {
    if (auto m = run_money(db, *run, model, *prices, created)) {
      this_run = *m;
    }
  }
  if (json) {
    std::string obj = spend_json(all->spend, prices->currency);
    out.spent = obj.substr(0, obj.size() - 1) + fmt::format(R"(,"simulated":{}}})", rehearsal);
    out.balance = this_run && !rehearsal ? balance_json(this_run->balance) : "null";
    return out;
  }
  out.spent = describe_spend(all->spend, prices->currency);
  if (std::string keys = describe_by_key(all->by_key, prices->currency); !keys.empty()) {
    out.spent += "; by key: " + keys;
  }
  if (rehearsal) {
    out.spent += " (simulated: nothing was charged)";
  }
  // A rehearsal's balance is the simulator's (a billion dollars, so that it never runs short): its
  // figures say nothing of the user's key, and the HTML report leaves it out too.
  if (this_run && !rehearsal) {
    out.balance = describe_balance(this_run->balance, this_run->spend, prices->currency);
  }
  return out;
}

std::optional<double> batch_spend_cap(SQLite::Database& db, const std::string& batch) {
  auto info = RunStore(db, system_clock()).batch(batch);
  if (!info) {
    return std::nullopt;
  }
  auto settings = stored_batch_settings(*info, {});
  return settings ? settings->max_spend : std::nullopt;
}

namespace {

// The prices of `batch`'s queued takes in plan order (position, then take): the order the runner
// submits them in, and so the order a cap is kept in.
std::vector<std::optional<double>> queued_prices(SQLite::Database& db, const std::string& batch,
                                                 const std::function<std::optional<double>(const std::string&)>& price) {
  SQLite::Statement queued(db,
                           "SELECT input_json FROM jobs WHERE batch = ? AND state = 'queued' ORDER BY position, take");
  queued.bind(1, batch);
  std::vector<std::optional<double>> out;
  while (queued.executeStep()) {
    out.push_back(price(queued.getColumn(0).getString()));
  }
  return out;
}

}  // namespace

std::optional<SpendCapHold> spend_cap_hold(SQLite::Database& db, const std::string& batch, const std::string& model,
                                           const PriceTable& prices) {
  auto cap = batch_spend_cap(db, batch);
  if (!cap) {
    return std::nullopt;
  }
  auto priced = queued_prices(db, batch, [&](const std::string& input) {
    return price_of(render_spec_of(input), model, prices);
  });
  auto spend = priced.empty() ? Result<Spend>(Spend{}) : batch_spend(db, batch, model, prices);
  if (priced.empty() || !spend) {
    return std::nullopt;
  }
  CapReach reach = cap_reach(*cap, spend->cost + spend->possible_cost, priced);
  if (reach.fits > 0) {
    return std::nullopt;  // the next take fits: a resume goes on
  }
  return SpendCapHold{*cap, reach.committed, priced.front(), reach.to_finish, prices.currency};
}

std::optional<BatchMoneyText> batch_money_text(SQLite::Database& db, const std::string& batch, const std::string& model,
                                               const PriceTable& prices, const TimeWindow& window) {
  auto m = batch_money(db, batch, model, prices, window);
  if (!m) {
    return std::nullopt;
  }
  BatchMoneyText t;
  t.any = m->spend.tasks + m->spend.possible > 0;
  t.spent = describe_spend(m->spend, prices.currency);
  if (std::string keys = describe_by_key(m->by_key, prices.currency); !keys.empty()) {
    t.spent += "; by key: " + keys;
  }
  // The batch's spend cap, as its last run was given it (manifest settings and remembered flags).
  if (auto cap = batch_spend_cap(db, batch)) {
    t.spent += fmt::format("; spend cap {} (max_spend), {} committed", format_money(*cap, prices.currency),
                           format_money(m->spend.cost + m->spend.possible_cost, prices.currency));
  }
  t.balance = describe_balance(m->balance, m->spend_in_read, prices.currency);
  t.spent_json = spend_json(m->spend, prices.currency);
  t.balance_json = balance_json(m->balance);
  return t;
}

CapReach takes_under_cap(SQLite::Database& db, const std::string& batch, const SpendPricing& pricing, double cap) {
  auto committed = pricing.committed();
  return cap_reach(cap, committed ? *committed : 0, queued_prices(db, batch, pricing.price));
}

std::string cap_amount(double amount) {
  return fmt::format("{:.2f}", std::ceil(amount * 100 - 1e-6) / 100);
}

Result<SpendPricing> spend_pricing(SQLite::Database& db, const std::string& batch, const std::string& model,
                                   const std::string& prices_flag) {
  auto prices = load_prices(prices_path(prices_flag));
  if (!prices) {
    return prices.error();
  }
  SpendPricing out;
  out.currency = prices->currency;
  out.price = [table = *prices, model](const std::string& input_json) {
    return price_of(render_spec_of(input_json), model, table);
  };
  out.committed = [&db, batch, model, table = *prices]() -> Result<double> {
    auto spend = batch_spend(db, batch, model, table);
    if (!spend) {
      return spend.error();
    }
    return spend->cost + spend->possible_cost;  // every task made, and every one that may have been
  };
  return out;
}

}  // namespace reelq
