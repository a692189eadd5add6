#include "cli/db_location.h"

#include <doctest/doctest.h>
#include <stdlib.h>

#include "fetch/folder_claim.h"
#include "queue/queue.h"
#include "support/fakes.h"

using namespace reelq;
namespace fs = std::filesystem;

namespace {

// REELQ_DB unset for the test's duration, restored after.
struct NoEnvDb {
  std::string saved;
  bool had = false;
  NoEnvDb() {
    if (const char* v = std::getenv("REELQ_DB")) {
      had = true;
      saved = v;
    }
    ::unsetenv("REELQ_DB");
  }
  ~NoEnvDb() {
    if (had) {
      ::setenv("REELQ_DB", saved.c_str(), 1);
    } else {
      ::unsetenv("REELQ_DB");
    }
  }
};

}  // namespace

TEST_CASE("a manifest's queue is reelq.db beside it, whatever the current folder; REELQ_DB, then --db, win") {
  NoEnvDb env;
  test::TempDir dir;
  auto beside = db_for_manifest("", "night/t.yaml", "night", dir.path());
  REQUIRE(beside.ok());
  CHECK(beside->path == dir / "night/reelq.db");
  CHECK(beside->source == DbSource::beside_manifest);
  ::setenv("REELQ_DB", "env.db", 1);
  CHECK(db_for_manifest("", "night/t.yaml", "night", dir.path())->path == dir / "env.db");
  CHECK(db_for_manifest("", "night/t.yaml", "night", dir.path())->source == DbSource::environment);
  const std::string flag = (dir / "flag.db").string();
  CHECK(db_for_manifest(flag, "night/t.yaml", "night", dir.path())->path == flag);
  // A path in no folder is the user's mistake, said with where it was looked for, not a disk failure.
  auto nowhere = db_for_manifest("/no-such-folder/flag.db", "night/t.yaml", "night", dir.path());
  REQUIRE_FALSE(nowhere.ok());
  CHECK(nowhere.error().kind == ErrorKind::usage);
  CHECK(nowhere.error().message.find("/no-such-folder does not exist") != std::string::npos);
}

TEST_CASE("a queue an older reelq left in the current folder is not silently replaced by a new one") {
  NoEnvDb env;
  test::TempDir dir;
  test::FakeClock clock;
  {
    auto q = Queue::open(dir / "reelq.db", clock);
    REQUIRE(q.ok());
    auto m = parse_manifest("batch: night\njobs:\n  - prompt: p\n", {"t.yaml", dir.path()});
    REQUIRE(q.value()->enqueue(m.value(), dir / "night/t.yaml", OnChanged::refuse).ok());
  }
  auto r = db_for_manifest("", "night/t.yaml", "night", dir.path());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == ErrorKind::usage);
  CHECK(r.error().message.find("reelq.db in the current folder already holds batch night") == 0);
  // Another batch, or a queue beside the manifest already, is no reason to refuse.
  CHECK(db_for_manifest("", "night/t.yaml", "other", dir.path()).ok());
  test::write_file(dir / "night/reelq.db", "");
  CHECK(db_for_manifest("", "night/t.yaml", "night", dir.path()).ok());
}

TEST_CASE("without a manifest the queue is found from the current folder up: an output folder's claim, a reelq.db") {
  NoEnvDb env;
  test::TempDir dir;
  test::write_file(dir / "night/reelq.db", "x");
  fs::create_directories(dir / "night/renders/night/deeper");
  CHECK(db_without_manifest("", dir / "night")->path == dir / "night/reelq.db");
  CHECK(db_without_manifest("", dir / "night/renders/night/deeper")->path == dir / "night/reelq.db");
  // An output folder elsewhere names its database.
  fs::create_directories(dir / "disk/night");
  REQUIRE(claim_folder(dir / "disk/night", {"q1", "night", (dir / "night/reelq.db").string()}).ok());
  auto found = db_without_manifest("", dir / "disk/night");
  REQUIRE(found.ok());
  CHECK(found->path == dir / "night/reelq.db");
  CHECK(found->source == DbSource::found);
  auto none = db_without_manifest("", dir / "disk");
  if (!fs::exists("/reelq.db") && !fs::exists(fs::temp_directory_path() / "reelq.db")) {
    REQUIRE_FALSE(none.ok());
    CHECK(none.error().message.find("REELQ_DB") != std::string::npos);
  }
  CHECK(db_without_manifest("given.db", dir / "disk")->path == dir / "disk/given.db");
}

TEST_CASE("paths in suggested commands are one shell word") {
  CHECK(shell_word("/home/me/night/reelq.db") == "/home/me/night/reelq.db");
  CHECK(shell_word("/home/me/my night/reelq.db") == "'/home/me/my night/reelq.db'");
  CHECK(shell_word("/x/it's.db") == "'/x/it'\\''s.db'");
}

TEST_CASE("an output folder's claims: this queue's is updated, another queue's for the batch is named") {
  test::TempDir dir;
  CHECK(read_claims(dir.path()).empty());
  REQUIRE(claim_folder(dir.path(), {"aaa", "night", "/old/place/reelq.db"}).ok());
  REQUIRE(claim_folder(dir.path(), {"aaa", "night", "/new place/reelq.db"}).ok());
  REQUIRE(claim_folder(dir.path(), {"bbb", "day", "/b/reelq.db"}).ok());
  auto claims = read_claims(dir.path());
  REQUIRE(claims.size() == 2);
  CHECK(claims[0].db_path == "/new place/reelq.db");
  CHECK_FALSE(foreign_claim(claims, "night", "aaa"));
  CHECK_FALSE(foreign_claim(claims, "other", "ccc"));
  auto owner = foreign_claim(claims, "night", "ccc");
  REQUIRE(owner);
  CHECK(owner->queue_id == "aaa");
  Error e = foreign_claim_error(dir.path(), *owner);
  CHECK(e.kind == ErrorKind::usage);
  CHECK(e.message.starts_with(dir.path().string() +
                              " holds results of batch night from another queue: /new place/reelq.db, which no "
                              "longer exists (queue id aaa). Nothing was sent."));
}
