#include "queue/database.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

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

TEST_CASE("a database from a newer reelq is refused, not misread, before anything is written to it") {
  test::TempDir dir;
  {
    // A queue as a newer reelq leaves it: reelq's tables, a version this reelq does not know, and
    // (as the newer reelq might) the rollback journal rather than WAL.
    SQLite::Database newer((dir / "q.db").string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    REQUIRE(migrate(newer, embedded::queue_sql(), latest_schema_version()).ok());
    newer.exec("PRAGMA user_version = 999");
  }
  std::string before = test::read_file(dir / "q.db");
  auto db = open_database(dir / "q.db");
  REQUIRE_FALSE(db.ok());
  CHECK(db.error().kind == ErrorKind::usage);
  CHECK(db.error().message == fmt::format("{}: written by a newer reelq (schema version 999, this reelq knows up to "
                                          "{}); upgrade reelq to open it. Nothing was changed.",
                                          (dir / "q.db").string(), latest_schema_version()));
  CHECK(test::read_file(dir / "q.db") == before);
  CHECK_FALSE(std::filesystem::exists(dir / "q.db-wal"));
}

TEST_CASE("another program's SQLite file is refused as it is: no tables added, no WAL turned on") {
  test::TempDir dir;
  {
    SQLite::Database other((dir / "other.db").string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    other.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)");
    other.exec("INSERT INTO notes (text) VALUES ('keep me')");
  }
  std::string before = test::read_file(dir / "other.db");
  auto db = open_database(dir / "other.db");
  REQUIRE_FALSE(db.ok());
  CHECK(db.error().kind == ErrorKind::usage);
  CHECK(db.error().message == (dir / "other.db").string() +
                                  " is not a reelq queue database (an SQLite database without reelq's tables); --db "
                                  "takes the queue's database file, e.g. reelq.db beside the manifest");
  CHECK(test::read_file(dir / "other.db") == before);
  CHECK_FALSE(std::filesystem::exists(dir / "other.db-wal"));
  CHECK_FALSE(std::filesystem::exists(dir / "other.db-shm"));
  SUBCASE("one that only sets a version of its own is refused too") {
    {
      SQLite::Database versioned((dir / "v.db").string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
      versioned.exec("PRAGMA user_version = 3");
    }
    std::string v_before = test::read_file(dir / "v.db");
    REQUIRE_FALSE(open_database(dir / "v.db").ok());
    CHECK(test::read_file(dir / "v.db") == v_before);
  }
}

TEST_CASE("an empty file, or an SQLite file with nothing in it, becomes a new queue as a missing one does") {
  test::TempDir dir;
  test::write_file(dir / "empty.db", "");
  {
    SQLite::Database blank((dir / "blank.db").string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    blank.exec("PRAGMA page_size = 4096");
    blank.exec("VACUUM");
  }
  for (const char* name : {"empty.db", "blank.db"}) {
    CAPTURE(name);
    auto db = open_database(dir / name);
    REQUIRE(db.ok());
    CHECK(db.value()->execAndGet("PRAGMA user_version").getInt() == latest_schema_version());
  }
}

TEST_CASE("a queue reached through a link opens as the queue it leads to") {
  test::TempDir dir;
  REQUIRE(open_database(dir / "q.db").ok());
  std::filesystem::create_symlink(dir / "q.db", dir / "alias.db");
  auto db = open_database(dir / "alias.db");
  REQUIRE(db.ok());
  CHECK(queue_id(*db.value()).ok());
}

TEST_CASE("no new queue is made through a link, nor a journal written through one") {
  test::TempDir dir;
  test::write_file(dir / "victim.txt", "");
  SUBCASE("a link to an empty file") {
    std::filesystem::create_symlink(dir / "victim.txt", dir / "q.db");
  }
  SUBCASE("a link to nothing yet") {
    std::filesystem::create_symlink(dir / "elsewhere.db", dir / "q.db");
  }
  auto db = open_database(dir / "q.db");
  REQUIRE_FALSE(db.ok());
  CHECK(db.error().message == (dir / "q.db").string() +
                                  " is a symbolic link; reelq will not write through it (delete the link, or choose "
                                  "another name)");
  CHECK(test::read_file(dir / "victim.txt") == "");
  CHECK_FALSE(std::filesystem::exists(dir / "elsewhere.db"));
}

// Beside a new queue and beside one that exists: there, a planted -wal once made the read-only
// look fail first ("unable to open database file", exit 70) instead of naming the link.
TEST_CASE("a -wal or -shm planted as a link beside the queue is refused, naming the link") {
  for (bool existing : {false, true}) {
    for (const char* side : {"-wal", "-shm", "-journal"}) {
      CAPTURE(existing);
      CAPTURE(side);
      test::TempDir dir;
      if (existing) {
        REQUIRE(open_database(dir / "q.db").ok());
        std::filesystem::remove(dir / (std::string("q.db") + side));
      }
      test::write_file(dir / "victim.txt", "precious\n");
      std::filesystem::create_symlink(dir / "victim.txt", dir / (std::string("q.db") + side));
      auto db = open_database(dir / "q.db");
      REQUIRE_FALSE(db.ok());
      CHECK(db.error().message == (dir / "q.db").string() + side +
                                      " is a symbolic link; reelq will not write through it (delete the link, or "
                                      "choose another name)");
      CHECK(test::read_file(dir / "victim.txt") == "precious\n");
      CHECK(std::filesystem::exists(dir / "q.db") == existing);
    }
  }
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
