#include "deliver/deliver.h"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <algorithm>

#include "deliver/delivery_plan.h"
#include "support/fakes.h"
#include "util/file_digest.h"

using namespace reelq;
namespace fs = std::filesystem;

namespace {

// A batch of `jobs` succeeded takes, each with one file written under `out`.
BatchReport batch_with(const fs::path& out, const std::vector<std::string>& jobs) {
  BatchReport b;
  b.name = "night";
  b.output_dir = out.string();
  for (const auto& job : jobs) {
    test::write_file(out / (job + ".mp4"), "video of " + job);
    ReportRow row;
    row.batch = b.name;
    row.job_id = job;
    row.state = JobState::succeeded;
    row.files.push_back({0, "https://cdn/x", job + ".mp4", 0, file_sha256(out / (job + ".mp4")), ""});
    b.rows.push_back(row);
  }
  return b;
}

std::vector<DeliveryItem> plan(const BatchReport& b, const Picks* picks = nullptr,
                               std::string_view name = "{job}-{take}") {
  auto items = plan_delivery({b}, picks, name);
  REQUIRE(items);
  return *items;
}

ino_t inode(const fs::path& p) {
  struct stat st {};
  ::stat(p.c_str(), &st);
  return st.st_ino;
}

}  // namespace

TEST_CASE("deliver links each succeeded take under its name and lists it; a second run adds only what is new") {
  test::TempDir dir;
  BatchReport b = batch_with(dir / "out", {"a", "b"});
  auto first = deliver(plan(b), dir / "to");
  REQUIRE(first);
  CHECK(first->linked == 2);
  CHECK(inode(dir / "to/a-1.mp4") == inode(dir / "out/a.mp4"));  // same filesystem: a hard link
  std::string list = test::read_file(dir / "to/delivery.csv");
  CHECK(list.starts_with("batch,job,take,source,destination,bytes,sha256,how\r\n"));
  CHECK(list.find("night,a,1," + (dir / "out/a.mp4").string() + "," + (dir / "to/a-1.mp4").string() + ",10," +
                  file_sha256(dir / "out/a.mp4") + ",link\r\n") != std::string::npos);

  b = batch_with(dir / "out", {"a", "b", "c"});
  auto second = deliver(plan(b), dir / "to");
  REQUIRE(second);
  CHECK(second->linked == 1);
  CHECK(second->already_there == 2);
  std::string again = test::read_file(dir / "to/delivery.csv");
  CHECK(again.starts_with(list));  // appended to, nothing rewritten
  CHECK(std::count(again.begin(), again.end(), '\n') == 4);
}

TEST_CASE("deliver with picks hands over only the takes marked pick or star, and refuses a pick it cannot find") {
  test::TempDir dir;
  BatchReport b = batch_with(dir / "out", {"a", "b", "c"});
  Picks picks{"night", {{"a", 1}, {"c", 1}}, std::nullopt};
  auto items = plan(b, &picks);
  REQUIRE(items.size() == 2);
  CHECK(items[0].name == "a-1.mp4");
  CHECK(items[1].name == "c-1.mp4");
  Picks stray{"night", {{"zz", 2}}, std::nullopt};
  auto refused = plan_delivery({b}, &stray, "{job}-{take}");
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message ==
        "the picks name job zz take 2, which is not a succeeded take of batch night; nothing was delivered");
}

TEST_CASE("deliver never overwrites a different file, never writes through a planted link") {
  test::TempDir dir;
  BatchReport b = batch_with(dir / "out", {"a"});
  test::write_file(dir / "to/a-1.mp4", "the client's own edit");
  auto conflict = deliver(plan(b), dir / "to");
  REQUIRE_FALSE(conflict);
  CHECK(conflict.error().kind == ErrorKind::conflict);
  CHECK(test::read_file(dir / "to/a-1.mp4") == "the client's own edit");

  test::write_file(dir / "victim", "precious");
  fs::remove(dir / "to/a-1.mp4");
  fs::create_symlink(dir / "victim", dir / "to/a-1.mp4");
  auto link = deliver(plan(b), dir / "to");
  REQUIRE_FALSE(link);
  CHECK(link.error().message.find("is a symbolic link") != std::string::npos);
  CHECK(test::read_file(dir / "victim") == "precious");

  fs::remove(dir / "to/a-1.mp4");
  fs::remove(dir / "to/delivery.csv");
  fs::create_symlink(dir / "victim", dir / "to/delivery.csv");
  CHECK_FALSE(deliver(plan(b), dir / "to"));
  CHECK(test::read_file(dir / "victim") == "precious");
}

TEST_CASE("a result that no longer holds what was downloaded is not delivered") {
  test::TempDir dir;
  BatchReport b = batch_with(dir / "out", {"a"});
  test::write_file(dir / "out/a.mp4", "truncated");
  auto bad = deliver(plan(b), dir / "to");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find("does not hold what was downloaded for job a take 1") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "to/a-1.mp4"));
}

TEST_CASE("two files given one name stop the plan") {
  test::TempDir dir;
  BatchReport b = batch_with(dir / "out", {"a"});
  b.rows[0].files.push_back({1, "https://cdn/y", "a.mp4", 0, "", ""});
  auto same = plan_delivery({b}, nullptr, "{job}-{take}");
  REQUIRE_FALSE(same);
  CHECK(same.error().message.find("add {batch} or {index}") != std::string::npos);
  CHECK(plan_delivery({b}, nullptr, "{job}-{take}-{index}"));
}

TEST_CASE("across filesystems deliver copies, and checks the copy") {
  test::TempDir dir;
  struct stat here {
  }, shm{};
  if (::stat("/dev/shm", &shm) != 0 || ::stat(dir.path().c_str(), &here) != 0 || shm.st_dev == here.st_dev ||
      ::access("/dev/shm", W_OK) != 0) {
    MESSAGE("no second filesystem at /dev/shm: the copy path is not exercised here");
    return;
  }
  test::TempDir unused;  // a unique name under /dev/shm
  fs::path to = fs::path("/dev/shm") / ("reelq-deliver-" + unused.path().filename().string());
  BatchReport b = batch_with(dir / "out", {"a"});
  auto copied = deliver(plan(b), to);
  REQUIRE(copied);
  CHECK(copied->copied == 1);
  CHECK(test::read_file(to / "a-1.mp4") == "video of a");
  CHECK(test::read_file(to / "delivery.csv").find(",copy\r\n") != std::string::npos);
  fs::remove_all(to);
}
