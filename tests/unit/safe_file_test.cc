#include "util/safe_file.h"

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ostream>

#include "fetch/folder_claim.h"
#include "sim/sim_state.h"
#include "support/fakes.h"
#include "util/run_lock.h"

using namespace reelq;
namespace fs = std::filesystem;

namespace {

std::string link_refusal(const fs::path& p) {
  return p.string() + " is a symbolic link; reelq will not write through it (delete the link, or choose another name)";
}

// A victim file outside reelq's folder, and a link to it planted under `name`.
struct Planted {
  test::TempDir dir;
  fs::path victim = dir / "victim.txt";
  Planted() { test::write_file(victim, "precious\n"); }
  fs::path plant(const std::string& name) {
    fs::create_symlink(victim, dir / name);
    return dir / name;
  }
  bool victim_intact() const { return test::read_file(victim) == "precious\n"; }
};

}  // namespace

TEST_CASE("safe_file: no write mode follows a link planted under the name") {
  for (WriteMode mode : {WriteMode::fresh, WriteMode::keep, WriteMode::append}) {
    Planted p;
    fs::path link = p.plant("name");
    auto file = WriteFile::open(link, mode);
    REQUIRE_FALSE(file.ok());
    CHECK(file.error().kind == ErrorKind::input);
    CHECK(file.error().message == link_refusal(link));
    CHECK(p.victim_intact());
    CHECK(fs::is_symlink(link));  // refused, not removed: the user sees what was planted
  }
}

TEST_CASE("safe_file: a dangling link is refused too, and nothing is created where it points") {
  test::TempDir dir;
  fs::create_symlink(dir / "elsewhere", dir / "name");
  for (WriteMode mode : {WriteMode::fresh, WriteMode::keep, WriteMode::append}) {
    auto file = WriteFile::open(dir / "name", mode);
    REQUIRE_FALSE(file.ok());
    CHECK(file.error().message == link_refusal(dir / "name"));
  }
  CHECK_FALSE(fs::exists(dir / "elsewhere"));
}

TEST_CASE("safe_file: a fresh file replaces a stale regular one, even one with another name (a hard link)") {
  Planted p;
  fs::create_hard_link(p.victim, p.dir / "stale.part");
  auto file = WriteFile::open(p.dir / "stale.part", WriteMode::fresh);
  REQUIRE(file.ok());
  CHECK(file->write("new") == 0);
  CHECK(file->close() == 0);
  CHECK(test::read_file(p.dir / "stale.part") == "new");
  CHECK(p.victim_intact());
}

TEST_CASE("safe_file: a lock file with another name (a hard link) is not rewritten in place") {
  Planted p;
  fs::create_hard_link(p.victim, p.dir / "q.db.lock");
  auto file = WriteFile::open(p.dir / "q.db.lock", WriteMode::keep);
  REQUIRE_FALSE(file.ok());
  CHECK(file.error().message == (p.dir / "q.db.lock").string() +
                                    " has other names (hard links); reelq will not write into it (delete it, and "
                                    "reelq makes its own)");
  CHECK(p.victim_intact());
}

TEST_CASE("safe_file: a FIFO under the name is refused at once instead of waiting for a reader") {
  test::TempDir dir;
  REQUIRE(::mkfifo((dir / "fifo").c_str(), 0600) == 0);
  auto file = WriteFile::open(dir / "fifo", WriteMode::append);
  REQUIRE_FALSE(file.ok());
  CHECK(file.error().message == (dir / "fifo").string() +
                                    " is not a regular file; reelq will not write into it (delete it, or choose "
                                    "another name)");
}

TEST_CASE("safe_file: keep and append leave what is there; fresh starts empty") {
  test::TempDir dir;
  test::write_file(dir / "f", "abc");
  {
    auto keep = WriteFile::open(dir / "f", WriteMode::keep);
    REQUIRE(keep.ok());
  }
  CHECK(test::read_file(dir / "f") == "abc");
  {
    auto app = WriteFile::open(dir / "f", WriteMode::append);
    REQUIRE(app.ok());
    CHECK(app->write("def") == 0);
  }
  CHECK(test::read_file(dir / "f") == "abcdef");
  {
    auto fresh = WriteFile::open(dir / "f", WriteMode::fresh);
    REQUIRE(fresh.ok());
  }
  CHECK(test::read_file(dir / "f") == "");
}

TEST_CASE("safe_file: replace_file writes whole, and refuses a link under the name or its temporary name") {
  Planted p;
  fs::path target = p.dir / "report.csv";
  fs::path tmp = p.dir / ".report.csv.tmp";
  REQUIRE(replace_file(target, tmp, [](std::ostream& out) { out << std::string(200000, 'x'); }).ok());
  CHECK(test::read_file(target) == std::string(200000, 'x'));
  CHECK_FALSE(fs::exists(tmp));

  SUBCASE("the temporary name is a link") {
    p.plant(".report.csv.tmp");
    auto st = replace_file(target, tmp, [](std::ostream& out) { out << "claim"; });
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().message == link_refusal(tmp));
    CHECK(p.victim_intact());
    CHECK(test::read_file(target) == std::string(200000, 'x'));
  }
  SUBCASE("the name itself is a link") {
    fs::remove(target);
    p.plant("report.csv");
    auto st = replace_file(target, tmp, [](std::ostream& out) { out << "claim"; });
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().message == link_refusal(target));
    CHECK(p.victim_intact());
    CHECK(fs::is_symlink(target));
    CHECK_FALSE(fs::exists(tmp));
  }
  SUBCASE("a failed write leaves the old file and no temporary one") {
    auto st = replace_file(p.dir / "no-such-folder" / "r.csv", p.dir / "no-such-folder" / ".r.csv.tmp",
                           [](std::ostream& out) { out << "x"; });
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().message ==
          "cannot write " + (p.dir / "no-such-folder" / "r.csv").string() + ": No such file or directory");
  }
}

TEST_CASE("run lock: a lock file planted as a link is refused and its target keeps its bytes") {
  Planted p;
  fs::path lock = p.plant("q.db.lock");
  auto taken = RunLock::acquire((p.dir / "q.db").string());
  REQUIRE_FALSE(taken.ok());
  CHECK(taken.error().message == link_refusal(lock));
  CHECK(p.victim_intact());
  CHECK_FALSE(RunLock::holder((p.dir / "q.db").string()).has_value());
}

TEST_CASE("run lock: two paths to one database take one lock") {
  test::TempDir dir;
  test::write_file(dir / "q.db", "");
  fs::create_symlink(dir / "q.db", dir / "alias.db");
  fs::create_directory(dir / "sub");
  fs::create_directory_symlink(dir.path(), dir / "linked");
  auto first = RunLock::acquire((dir / "q.db").string());
  REQUIRE(first.ok());
  for (const fs::path& other : {dir / "alias.db", dir / "linked" / "q.db", dir / "sub" / ".." / "q.db"}) {
    CAPTURE(other);
    auto second = RunLock::acquire(other.string());
    REQUIRE_FALSE(second.ok());
    CHECK(second.error().kind == ErrorKind::busy);
    CHECK(second.error().message == fmt::format("another reelq (pid {}) is running batches from {}; wait for it to "
                                                "finish or stop it (Ctrl-C) first",
                                                ::getpid(), other.string()));
    CHECK(RunLock::holder(other.string()) == ::getpid());
  }
  CHECK(run_lock_path((dir / "alias.db").string()) == fs::canonical(dir.path()) / "q.db.lock");
  CHECK_FALSE(fs::exists(dir / "alias.db.lock"));
}

TEST_CASE("run lock: a database not created yet is locked beside where it will be") {
  test::TempDir dir;
  CHECK(run_lock_path((dir / "new.db").string()) == fs::canonical(dir.path()) / "new.db.lock");
  auto lock = RunLock::acquire((dir / "new.db").string());
  REQUIRE(lock.ok());
  CHECK_FALSE(RunLock::acquire((dir / "new.db").string()).ok());
}

TEST_CASE("writers: the output folder's claim and the simulator's state refuse a planted link") {
  Planted p;
  SUBCASE(".reelq-queue.tmp") {
    fs::path link = p.plant(".reelq-queue.tmp");
    auto st = claim_folder(p.dir.path(), {"aaa", "night", "/q/reelq.db"});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().message == link_refusal(link));
    CHECK_FALSE(fs::exists(p.dir / ".reelq-queue"));
  }
  SUBCASE(".reelq-queue") {
    fs::path link = p.plant(".reelq-queue");
    auto st = claim_folder(p.dir.path(), {"aaa", "night", "/q/reelq.db"});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().message == link_refusal(link));
    CHECK(fs::is_symlink(link));
  }
  SUBCASE("the simulator's --state file and its temporary name") {
    fs::path link = p.plant("sim.json.tmp");
    auto st = write_snapshot((p.dir / "sim.json").string(), SimSnapshot{});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().message == link_refusal(link));
    fs::remove(link);
    REQUIRE(write_snapshot((p.dir / "sim.json").string(), SimSnapshot{}).ok());
    CHECK_FALSE(fs::exists(link));
  }
  CHECK(p.victim_intact());
}
