#pragma once
// Opens the queue database and brings its schema up to date (schemas/queue.sql).
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "util/result.h"

namespace reelq {

// A SQLite (or SQLiteCpp) exception as reelq's error: the boundary where they become values.
Error storage_error(const std::exception& e);

// The schema version this build writes: the last "-- version N" section of schemas/queue.sql.
int latest_schema_version();

// Runs the sections of `sql` whose version is above the database's user_version, each in its own
// transaction, up to `target` (tests use a lower target to make an old database).
Status migrate(SQLite::Database& db, std::string_view sql, int target);

// The database's own id (schema version 5): what an output folder's .reelq-queue names.
Result<std::string> queue_id(SQLite::Database& db);

// Whether the database at `path` exists and holds `batch`, read without changing it (not even a
// migration). Any problem reading it counts as "no".
bool database_holds_batch(const std::filesystem::path& path, const std::string& batch);

// Who may read a database reelq creates. SQLite gives its -wal and -shm files the database's
// mode, so the choice covers all three.
enum class DbPrivacy {
  umask,    // 0666 less the user's umask, as any file the user makes
  private_  // 0600: the user keeps the API key to themselves, and the queue holds the batch's prompts
};

// Opens (creating if needed) a queue database in WAL mode with full fsync, migrated to the latest
// version. A database written by a newer reelq is refused rather than misread. `privacy` applies
// only when the file is created; an existing database keeps the mode its owner gave it.
Result<std::unique_ptr<SQLite::Database>> open_database(const std::filesystem::path& path,
                                                        DbPrivacy privacy = DbPrivacy::umask);

}  // namespace reelq
