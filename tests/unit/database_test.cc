#include "queue/database.h"

#include <doctest/doctest.h>

#include "support/fakes.h"
#include "util/embedded.h"

using namespace reelq;

TEST_CASE("a new database is at the latest schema version, in WAL mode") {
  test::TempDir dir;
  auto db = open_database(dir / "q.db");
  REQUIRE(db.ok());
  CHECK(latest_schema_version() >= 2);
  CHECK(db.value()->execAndGet("PRAGMA user_version").getInt() == latest_schema_version());
  CHECK(db.value()->execAndGet("PRAGMA journal_mode").getString() == "wal");
}

TEST_CASE("a version-1 database is migrated forward and keeps its rows") {
  test::TempDir dir;
  {
    SQLite::Database old((dir / "q.db").string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    REQUIRE(migrate(old, embedded::queue_sql(), 1).ok());
    REQUIRE(old.execAndGet("PRAGMA user_version").getInt() == 1);
    old.exec("INSERT INTO batches VALUES ('b', 'sora-2-pro', '/m.yaml', '{}', 1, 1)");
    old.exec(
        "INSERT INTO jobs (batch, job_id, take, position, input_json, state, task_id, created_at, updated_at) "
        "VALUES ('b', 'j', 1, 0, '{}', 'running', 'task_1', 1, 1)");
    CHECK_THROWS(old.exec("SELECT note FROM jobs"));
  }
  auto db = open_database(dir / "q.db");
  REQUIRE(db.ok());
  CHECK(db.value()->execAndGet("PRAGMA user_version").getInt() == latest_schema_version());
  CHECK(db.value()->execAndGet("SELECT task_id FROM jobs WHERE job_id = 'j'").getString() == "task_1");
  CHECK(db.value()->execAndGet("SELECT ambiguous FROM jobs WHERE job_id = 'j'").getInt() == 0);
  CHECK(db.value()->execAndGet("SELECT count(*) FROM files").getInt() == 0);
}

TEST_CASE("version 5: the queue gets an id, and files downloaded before it are recorded in their batch's folder") {
  test::TempDir dir;
  {
    SQLite::Database old((dir / "q.db").string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    REQUIRE(migrate(old, embedded::queue_sql(), 3).ok());
    old.exec("INSERT INTO batches VALUES ('b', 'sora-2-pro', '/m.yaml', '{}', 1, 1, '/night/renders/b')");
    old.exec(
        "INSERT INTO jobs (batch, job_id, take, position, input_json, state, created_at, updated_at) "
        "VALUES ('b', 'j', 1, 0, '{}', 'succeeded', 1, 1), ('b', 'k', 1, 1, '{}', 'downloading', 1, 1)");
    old.exec("INSERT INTO files (job, idx, url, path, attempts) VALUES (1, 0, 'u', 'j.mp4', 1), (2, 0, 'v', NULL, 5)");
  }
  auto db = open_database(dir / "q.db");
  REQUIRE(db.ok());
  CHECK(db.value()->execAndGet("SELECT dir FROM files WHERE job = 1").getString() == "/night/renders/b");
  CHECK(db.value()->execAndGet("SELECT dir IS NULL FROM files WHERE job = 2").getInt() == 1);
  auto id = queue_id(*db.value());
  REQUIRE(id.ok());
  CHECK(id->size() == 32);
  auto other = open_database(dir / "other.db");
  CHECK(queue_id(*other.value()).value() != *id);
}

TEST_CASE("a database from a newer reelq is refused, not misread") {
  test::TempDir dir;
  {
    SQLite::Database newer((dir / "q.db").string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    newer.exec("PRAGMA user_version = 999");
  }
  auto db = open_database(dir / "q.db");
  REQUIRE_FALSE(db.ok());
  CHECK(db.error().message.find("written by a newer reelq (schema version 999") != std::string::npos);
}

TEST_CASE("the state column refuses a state that does not exist") {
  test::TempDir dir;
  auto db = open_database(dir / "q.db");
  db.value()->exec(
      "INSERT INTO batches (name, model, manifest_path, settings_json, created_at, updated_at) "
      "VALUES ('b', 'sora-2-pro', '/m.yaml', '{}', 1, 1)");
  CHECK_THROWS(
      db.value()->exec("INSERT INTO jobs (batch, job_id, take, position, input_json, state, created_at, "
                       "updated_at) VALUES ('b', 'j', 1, 0, '{}', 'lost', 1, 1)"));
}

TEST_CASE("a file that is not a database (--db night.yaml) is a usage error that says what --db takes") {
  test::TempDir dir;
  test::write_file(dir / "night.yaml", "batch: night\njobs:\n  - prompt: a long enough text to not be a header\n");
  auto db = open_database(dir / "night.yaml");
  REQUIRE_FALSE(db.ok());
  CHECK(db.error().kind == ErrorKind::usage);
  CHECK(db.error().message == (dir / "night.yaml").string() +
                                  " is not a reelq queue database (file is not a database); --db takes the queue's "
                                  "database file, e.g. reelq.db beside the manifest");
  CHECK(test::read_file(dir / "night.yaml").starts_with("batch: night"));
}
