#include "queue/run_ledger.h"

#include <SQLiteCpp/Statement.h>

#include "queue/database.h"

namespace reelq {
namespace {

std::optional<double> real_or_null(const SQLite::Column& c) {
  return c.isNull() ? std::nullopt : std::optional<double>(c.getDouble());
}

void bind_or_null(SQLite::Statement& q, int index, std::optional<double> v) {
  if (v) {
    q.bind(index, *v);
  } else {
    q.bind(index);
  }
}

Result<Spend> priced(SQLite::Database& db, const std::string& batch, const std::string& model, const PriceTable& prices,
                     const TimeWindow& window, const std::map<std::string, int>* created,
                     std::map<std::string, Spend>* by_key = nullptr) {
  auto submitted = submitted_renders(db, batch, window);
  if (!submitted) {
    return submitted.error();
  }
  int settled_none = created ? settle_by_created(*submitted, *created) : 0;
  Spend s = price_submitted(*submitted, model, prices);
  s.settled_none = settled_none;
  if (by_key) {
    *by_key = price_by_key(*submitted, model, prices);
  }
  return s;
}

TimeWindow window_of(const RunRecord& r) {
  // A run still open (or killed) counts up to now: nothing of a later run of the batch can be in it
  // while the lock is held, and a killed run's balance is never read after.
  return {r.started_at, r.ended_at ? std::optional<TimeMs>(*r.ended_at + 1) : std::nullopt};
}

}  // namespace

Result<std::int64_t> start_run(SQLite::Database& db, const std::string& batch, TimeMs at,
                               std::optional<double> balance_before) {
  try {
    SQLite::Statement q(db, "INSERT INTO runs (batch, started_at, balance_before) VALUES (?, ?, ?)");
    q.bind(1, batch);
    q.bind(2, static_cast<std::int64_t>(at));
    bind_or_null(q, 3, balance_before);
    q.exec();
    return db.getLastInsertRowid();
  } catch (const std::exception& e) {
    return storage_error(e);
  }
}

Status end_run(SQLite::Database& db, std::int64_t run, TimeMs at, std::optional<double> balance_after) {
  try {
    SQLite::Statement q(db, "UPDATE runs SET ended_at = ?, balance_after = ? WHERE id = ?");
    q.bind(1, static_cast<std::int64_t>(at));
    bind_or_null(q, 2, balance_after);
    q.bind(3, run);
    q.exec();
    return ok_status();
  } catch (const std::exception& e) {
    return storage_error(e);
  }
}

Result<std::vector<RunRecord>> batch_runs(SQLite::Database& db, const std::string& batch, const TimeWindow& window) {
  try {
    SQLite::Statement q(db,
                        "SELECT id, batch, started_at, ended_at, balance_before, balance_after FROM runs WHERE "
                        "batch = ?1 AND (?2 IS NULL OR started_at >= ?2) AND (?3 IS NULL OR started_at < ?3) "
                        "ORDER BY started_at, id");
    q.bind(1, batch);
    if (window.since) {
      q.bind(2, static_cast<std::int64_t>(*window.since));
    }
    if (window.until) {
      q.bind(3, static_cast<std::int64_t>(*window.until));
    }
    std::vector<RunRecord> out;
    while (q.executeStep()) {
      RunRecord r;
      r.id = q.getColumn(0).getInt64();
      r.batch = q.getColumn(1).getString();
      r.started_at = q.getColumn(2).getInt64();
      if (!q.getColumn(3).isNull()) {
        r.ended_at = q.getColumn(3).getInt64();
      }
      r.balance_before = real_or_null(q.getColumn(4));
      r.balance_after = real_or_null(q.getColumn(5));
      out.push_back(std::move(r));
    }
    return out;
  } catch (const std::exception& e) {
    return storage_error(e);
  }
}

Result<BatchMoney> batch_money(SQLite::Database& db, const std::string& batch, const std::string& model,
                               const PriceTable& prices, const TimeWindow& window,
                               const std::map<std::string, int>* created) {
  BatchMoney m;
  auto spend = priced(db, batch, model, prices, window, created, &m.by_key);
  if (!spend) {
    return spend.error();
  }
  m.spend = *spend;
  auto runs = batch_runs(db, batch, window);
  if (!runs) {
    return runs.error();
  }
  m.balance.runs = 0;
  for (const RunRecord& r : *runs) {
    if (!r.balance_before || !r.balance_after) {
      ++m.balance.unread;
      continue;
    }
    auto in_run = priced(db, batch, model, prices, window_of(r), created);
    if (!in_run) {
      return in_run.error();
    }
    m.spend_in_read += *in_run;
    m.balance.difference += *r.balance_before - *r.balance_after;
    m.balance.before = r.balance_before;
    m.balance.after = r.balance_after;
    ++m.balance.runs;
  }
  return m;
}

Result<BatchMoney> run_money(SQLite::Database& db, std::int64_t run, const std::string& model, const PriceTable& prices,
                             const std::map<std::string, int>* created) {
  try {
    SQLite::Statement q(db, "SELECT batch, started_at, ended_at, balance_before, balance_after FROM runs WHERE id = ?");
    q.bind(1, run);
    if (!q.executeStep()) {
      return Error{ErrorKind::internal, "no such run"};
    }
    RunRecord r;
    r.id = run;
    r.batch = q.getColumn(0).getString();
    r.started_at = q.getColumn(1).getInt64();
    if (!q.getColumn(2).isNull()) {
      r.ended_at = q.getColumn(2).getInt64();
    }
    r.balance_before = real_or_null(q.getColumn(3));
    r.balance_after = real_or_null(q.getColumn(4));
    BatchMoney m;
    auto spend = priced(db, r.batch, model, prices, window_of(r), created);
    if (!spend) {
      return spend.error();
    }
    m.spend = m.spend_in_read = *spend;
    m.balance.runs = 1;
    m.balance.before = r.balance_before;
    m.balance.after = r.balance_after;
    if (r.balance_before && r.balance_after) {
      m.balance.difference = *r.balance_before - *r.balance_after;
    }
    return m;
  } catch (const std::exception& e) {
    return storage_error(e);
  }
}

}  // namespace reelq
