#include "queue/handoff.h"

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <fmt/format.h>

#include <algorithm>
#include <string>

#include "queue/database.h"

namespace reelq {

namespace {
constexpr const char* k_runner = "runner";  // database_info key: the pid of the runner taking added jobs
constexpr const char* k_runner_api = "runner_api";
constexpr const char* k_runner_scale = "runner_time_scale";

void forget_runner(SQLite::Database& db) {
  SQLite::Statement done(db, "DELETE FROM database_info WHERE key IN (?, ?, ?)");
  done.bind(1, k_runner);
  done.bind(2, k_runner_api);
  done.bind(3, k_runner_scale);
  done.exec();
}
}  // namespace

Status note_runner_api(SQLite::Database& db, const RunnerApi& api) {
  try {
    SQLite::Statement q(db, "INSERT OR REPLACE INTO database_info (key, value) VALUES (?, ?), (?, ?)");
    q.bind(1, k_runner_api);
    q.bind(2, api.api_base);
    q.bind(3, k_runner_scale);
    q.bind(4, fmt::format("{}", api.time_scale));  // the shortest text that reads back the same
    q.exec();
    return ok_status();
  } catch (const std::exception& e) {
    return storage_error(e);
  }
}

Result<std::optional<RunnerApi>> runner_api(SQLite::Database& db) {
  try {
    SQLite::Statement q(db,
                        "SELECT a.value, s.value FROM database_info a JOIN database_info s ON s.key = ? "
                        "WHERE a.key = ?");
    q.bind(1, k_runner_scale);
    q.bind(2, k_runner_api);
    if (!q.executeStep()) {
      return std::optional<RunnerApi>{};
    }
    return std::optional<RunnerApi>{RunnerApi{q.getColumn(0).getString(), std::stod(q.getColumn(1).getString())}};
  } catch (const std::exception& e) {
    return storage_error(e);
  }
}

Status adopt_runner_api(SQLite::Database& db, const std::string& batch) {
  try {
    auto api = runner_api(db);
    if (!api) {
      return api.error();
    }
    if (!*api) {
      return ok_status();
    }
    SQLite::Statement q(db, "UPDATE batches SET api_base = ?, time_scale = ? WHERE name = ? AND api_base IS NULL");
    q.bind(1, (*api)->api_base);
    q.bind(2, (*api)->time_scale);
    q.bind(3, batch);
    q.exec();
    return ok_status();
  } catch (const std::exception& e) {
    return storage_error(e);
  }
}

Status open_runner(SQLite::Database& db, long pid) {
  try {
    SQLite::Statement q(db, "INSERT OR REPLACE INTO database_info (key, value) VALUES (?, ?)");
    q.bind(1, k_runner);
    q.bind(2, std::to_string(pid));
    q.exec();
    return ok_status();
  } catch (const std::exception& e) {
    return storage_error(e);
  }
}

Result<std::vector<std::string>> take_added_or_close(SQLite::Database& db, TimeMs since, bool close,
                                                     const std::vector<std::string>& own) {
  try {
    SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
    std::vector<std::string> batches;
    SQLite::Statement q(db,
                        "SELECT batch FROM jobs WHERE state = 'queued' AND created_at >= ? GROUP BY batch "
                        "ORDER BY min(created_at), batch");
    q.bind(1, since);
    while (q.executeStep()) {
      std::string batch = q.getColumn(0).getString();
      if (std::find(own.begin(), own.end(), batch) == own.end()) {
        batches.push_back(std::move(batch));
      }
    }
    if (batches.empty() || close) {
      forget_runner(db);
    }
    tx.commit();
    return batches;
  } catch (const std::exception& e) {
    return storage_error(e);
  }
}

Status runner_takes_added(SQLite::Database& db, long holder_pid) {
  try {
    SQLite::Statement q(db, "SELECT value FROM database_info WHERE key = ?");
    q.bind(1, k_runner);
    if (q.executeStep() && q.getColumn(0).getString() == std::to_string(holder_pid)) {
      return ok_status();
    }
    return Error{ErrorKind::busy, "the queue's lock is not held by a runner taking added jobs"};
  } catch (const std::exception& e) {
    return storage_error(e);
  }
}

}  // namespace reelq
