#include "queue/handoff.h"

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <algorithm>

#include "queue/database.h"

namespace reelq {

namespace {
constexpr const char* k_runner = "runner";  // database_info key: the pid of the runner taking added jobs
}  // namespace

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
      SQLite::Statement done(db, "DELETE FROM database_info WHERE key = ?");
      done.bind(1, k_runner);
      done.exec();
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
