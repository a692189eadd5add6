#include "queue/database.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <vector>

#include "queue/relocate.h"
#include "util/embedded.h"
#include "util/safe_file.h"

namespace reelq {

namespace {

struct Section {
  int version;
  std::string_view sql;
};

std::vector<Section> split_sections(std::string_view sql) {
  std::vector<Section> out;
  constexpr std::string_view k_marker = "\n-- version ";
  size_t at = sql.find(k_marker);
  while (at != std::string_view::npos) {
    size_t num_start = at + k_marker.size();
    size_t line_end = sql.find('\n', num_start);
    int version = 0;
    std::from_chars(sql.data() + num_start, sql.data() + line_end, version);
    size_t next = sql.find(k_marker, line_end);
    out.push_back({version, sql.substr(line_end, next == std::string_view::npos ? next : next - line_end)});
    at = next;
  }
  return out;
}

}  // namespace

int latest_schema_version() {
  auto sections = split_sections(embedded::queue_sql());
  return sections.empty() ? 0 : sections.back().version;
}

Status migrate(SQLite::Database& db, std::string_view sql, int target) {
  try {
    int current = db.execAndGet("PRAGMA user_version").getInt();
    for (const Section& s : split_sections(sql)) {
      if (s.version <= current || s.version > target) {
        continue;
      }
      SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
      // Another process opening the same new database (a `report` beside a starting run) may have
      // migrated it meanwhile: read the version again under the write lock.
      if (db.execAndGet("PRAGMA user_version").getInt() >= s.version) {
        continue;
      }
      db.exec(std::string(s.sql));
      db.exec(fmt::format("PRAGMA user_version = {}", s.version));
      tx.commit();
    }
    return ok_status();
  } catch (const SQLite::Exception& e) {
    return Error{ErrorKind::storage, fmt::format("cannot migrate the queue database: {}", e.what())};
  }
}

Error storage_error(const std::exception& e) {
  return Error{ErrorKind::storage, fmt::format("queue database: {}", e.what())};
}

Result<std::string> queue_id(SQLite::Database& db) {
  try {
    return db.execAndGet("SELECT id FROM queue_identity LIMIT 1").getString();
  } catch (const std::exception& e) {
    return storage_error(e);
  }
}

bool database_holds_batch(const std::filesystem::path& path, const std::string& batch) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return false;
  }
  try {
    SQLite::Database db(path.string(), SQLite::OPEN_READONLY);
    SQLite::Statement q(db, "SELECT 1 FROM batches WHERE name = ?");
    q.bind(1, batch);
    return q.executeStep();
  } catch (const std::exception&) {
    return false;
  }
}

namespace {

// SQLite would create the file 0644 less the umask: a umask of 002 could not give the group write.
// An empty file is a valid empty database, so reelq creates it itself with the mode it means.
// O_EXCL refuses a link too (util/safe_file.h), and a link is checked before this is reached.
Status create_with_mode(const std::filesystem::path& path, DbPrivacy privacy) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                  privacy == DbPrivacy::private_ ? 0600 : 0666);
  if (fd >= 0) {
    ::close(fd);
  } else if (errno != EEXIST) {
    return Error{ErrorKind::storage,
                 fmt::format("{}: cannot create the queue database: {}", path.string(), std::strerror(errno))};
  }
  return ok_status();
}

Error not_a_queue(const std::filesystem::path& path, std::string_view why) {
  return Error{ErrorKind::usage, fmt::format("{} is not a reelq queue database ({}); --db takes the queue's "
                                             "database file, e.g. reelq.db beside the manifest",
                                             path.string(), why)};
}

Error newer_queue(const std::filesystem::path& path, int version) {
  return Error{ErrorKind::usage, fmt::format("{}: written by a newer reelq (schema version {}, this reelq knows up to "
                                             "{}); upgrade reelq to open it. Nothing was changed.",
                                             path.string(), version, latest_schema_version())};
}

// Before anything is written: what is already at `path`, read without changing it. A missing or
// empty file becomes a new queue; a reelq queue this reelq knows is opened; anything else (a
// file of another program, a queue from a newer reelq) is refused as it is.
Status check_existing(const std::filesystem::path& path) {
  std::error_code ec;
  auto link = std::filesystem::symlink_status(path, ec);
  if (ec || link.type() == std::filesystem::file_type::not_found) {
    return ok_status();
  }
  auto size = std::filesystem::file_size(path, ec);
  if (link.type() == std::filesystem::file_type::symlink && (ec || size == 0)) {
    // A new queue is made only in a file of its own: `reelq.db` planted as a link to an empty or
    // missing file elsewhere would have reelq create its database there.
    return symlink_refused(path);
  }
  if (ec || size == 0) {
    return ok_status();  // not a regular file (SQLite says what it is), or an empty one: a new queue
  }
  try {
    SQLite::Database db(path.string(), SQLite::OPEN_READONLY);
    db.setBusyTimeout(5000);
    int version = db.execAndGet("PRAGMA user_version").getInt();
    int objects = db.execAndGet("SELECT count(*) FROM sqlite_master").getInt();
    int reelq_tables = db.execAndGet(
                             "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
                             "('batches', 'jobs')")
                           .getInt();
    if (objects == 0 && version == 0) {
      return ok_status();  // an SQLite file with nothing in it yet: as good as empty
    }
    // Every reelq queue has had its batches and jobs since version 1.
    if (reelq_tables != 2 || version < 1) {
      return not_a_queue(path, "an SQLite database without reelq's tables");
    }
    if (version > latest_schema_version()) {
      return newer_queue(path, version);
    }
  } catch (const SQLite::Exception& e) {
    if (e.getErrorCode() == SQLITE_NOTADB) {
      return not_a_queue(path, e.what());
    }
    return Error{ErrorKind::storage, fmt::format("{}: cannot open the queue database: {}", path.string(), e.what())};
  }
  return ok_status();
}

// SQLite writes its journal beside the database: a link planted under one of those names would
// receive it. Checked beside the path given and beside the file it leads to.
Status check_side_files(const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::path real = std::filesystem::weakly_canonical(path, ec);
  for (const std::filesystem::path& base : {path, ec ? path : real}) {
    for (const char* suffix : {"-wal", "-shm", "-journal"}) {
      std::filesystem::path side = base;
      side += suffix;
      if (auto st = refuse_symlink(side); !st) {
        return st;
      }
    }
  }
  return ok_status();
}

}  // namespace

Result<std::unique_ptr<SQLite::Database>> open_database(const std::filesystem::path& path, DbPrivacy privacy) {
  // Links first: SQLite's read-only look at an existing queue already opens its -wal and -shm, and
  // fails on a planted link with words that do not name it.
  if (auto st = check_side_files(path); !st) {
    return st.error();
  }
  if (auto st = check_existing(path); !st) {
    return st.error();
  }
  if (auto st = create_with_mode(path, privacy); !st) {
    return st.error();
  }
  std::unique_ptr<SQLite::Database> db;
  try {
    db = std::make_unique<SQLite::Database>(path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db->setBusyTimeout(5000);
    db->exec("PRAGMA journal_mode = WAL");
    // FULL: a committed state change survives a power cut, not only a killed process. The runner
    // commits a few times a second at most, so the fsyncs cost nothing that matters.
    db->exec("PRAGMA synchronous = FULL");
    db->exec("PRAGMA foreign_keys = ON");
    int version = db->execAndGet("PRAGMA user_version").getInt();
    if (version > latest_schema_version()) {
      return newer_queue(path, version);  // upgraded by another reelq since check_existing read it
    }
  } catch (const SQLite::Exception& e) {
    // `--db night.yaml`: a file that is not a database is the caller's mistake, not a storage failure.
    if (e.getErrorCode() == SQLITE_NOTADB) {
      return not_a_queue(path, e.what());
    }
    return Error{ErrorKind::storage, fmt::format("{}: cannot open the queue database: {}", path.string(), e.what())};
  }
  if (auto st = migrate(*db, embedded::queue_sql(), latest_schema_version()); !st) {
    return Error{st.error().kind, fmt::format("{}: {}", path.string(), st.error().message)};
  }
  // A project moved with its queue: the paths it recorded follow it (queue/relocate.h).
  if (auto moved = follow_queue_move(*db, path); !moved) {
    return Error{moved.error().kind, fmt::format("{}: {}", path.string(), moved.error().message)};
  }
  return db;
}

}  // namespace reelq
