#include "deliver/deliver.h"

#include <doctest/doctest.h>
#include <fcntl.h>
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
  auto first = deliver(plan(b), dir / "to", DeliverMethod::link_or_copy);
  REQUIRE(first);
  CHECK(first->linked == 2);
  CHECK(inode(dir / "to/a-1.mp4") == inode(dir / "out/a.mp4"));  // same filesystem: a hard link
  std::string list = test::read_file(dir / "to/delivery.csv");
  CHECK(list.starts_with("batch,job,take,source,destination,bytes,sha256,how\r\n"));
  CHECK(list.find("night,a,1," + (dir / "out/a.mp4").string() + "," + (dir / "to/a-1.mp4").string() + ",10," +
                  file_sha256(dir / "out/a.mp4") + ",link\r\n") != std::string::npos);

  b = batch_with(dir / "out", {"a", "b", "c"});
  auto second = deliver(plan(b), dir / "to", DeliverMethod::link_or_copy);
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
        "the picks name job zz take 2 (not in the queue), which is not a succeeded take of batch night; nothing was "
        "delivered (marks made on another queue's page? pass --db with the queue the page was made from)");
}

TEST_CASE("deliver never overwrites a different file, never writes through a planted link") {
  test::TempDir dir;
  BatchReport b = batch_with(dir / "out", {"a"});
  test::write_file(dir / "to/a-1.mp4", "the client's own edit");
  auto conflict = deliver(plan(b), dir / "to", DeliverMethod::link_or_copy);
  REQUIRE(conflict);
  REQUIRE(conflict->not_delivered.size() == 1);
  CHECK(conflict->not_delivered[0].problem == SourceProblem::in_the_way);
  CHECK(test::read_file(dir / "to/a-1.mp4") == "the client's own edit");

  test::write_file(dir / "victim", "precious");
  fs::remove(dir / "to/a-1.mp4");
  fs::create_symlink(dir / "victim", dir / "to/a-1.mp4");
  auto link = deliver(plan(b), dir / "to", DeliverMethod::link_or_copy);
  REQUIRE_FALSE(link);
  CHECK(link.error().message.find("is a symbolic link") != std::string::npos);
  CHECK(test::read_file(dir / "victim") == "precious");

  fs::remove(dir / "to/a-1.mp4");
  fs::remove(dir / "to/delivery.csv");
  fs::create_symlink(dir / "victim", dir / "to/delivery.csv");
  CHECK_FALSE(deliver(plan(b), dir / "to", DeliverMethod::link_or_copy));
  CHECK(test::read_file(dir / "victim") == "precious");
}

TEST_CASE("a delivery folder swapped for a link after it was checked takes nothing; messages name the folder given") {
  test::TempDir dir;
  BatchReport b = batch_with(dir / "out", {"a", "b"});
  fs::create_directory(dir / "elsewhere");
  fs::create_directory_symlink(dir / "elsewhere", dir / "to");  // as if planted after check_delivery_folder
  auto swapped = deliver(plan(b), dir / "to", DeliverMethod::link_or_copy);
  REQUIRE_FALSE(swapped);
  CHECK(swapped.error().message ==
        (dir / "to").string() + " is a symbolic link; reelq will not write through it (delete the link, or choose "
                                "another name)");
  CHECK(fs::is_empty(dir / "elsewhere"));
  CHECK_FALSE(deliver(plan(b), dir.path().string() + "/to/", DeliverMethod::link_or_copy));  // "to/" looks through
  CHECK(fs::is_empty(dir / "elsewhere"));

  // Files are made through the folder reelq opened, yet every message and delivery.csv row names
  // the path the user knows, never /proc/self/fd.
  fs::remove(dir / "to");
  test::write_file(dir / "to/b-1.mp4", "the client's own edit");
  fs::create_symlink(dir / "elsewhere", dir / "to/c-1.mp4");
  BatchReport abc = batch_with(dir / "out", {"a", "b", "c"});
  auto planted = deliver(plan(abc), dir / "to", DeliverMethod::link_or_copy);
  REQUIRE_FALSE(planted);
  CHECK(planted.error().message.starts_with((dir / "to/c-1.mp4").string() + " is a symbolic link"));
  std::string csv = test::read_file(dir / "to/delivery.csv");
  CHECK(csv.find("," + (dir / "to/a-1.mp4").string() + ",") != std::string::npos);
  CHECK(csv.find("/proc/") == std::string::npos);
}

TEST_CASE("a result that no longer holds what was downloaded is left out before anything is made for it") {
  for (DeliverMethod method : {DeliverMethod::link_or_copy, DeliverMethod::copy}) {
    test::TempDir dir;
    BatchReport b = batch_with(dir / "out", {"a"});
    REQUIRE(deliver(plan(b), dir / "to", method));  // delivery.csv made, and a-1.mp4 once
    fs::remove(dir / "to/a-1.mp4");
    test::write_file(dir / "out/a.mp4", "truncated");
    // Anything made in the folder, even for a moment, would change its mtime: set far in the past.
    struct timespec old_times[2] = {{1000, 0}, {1000, 0}};
    REQUIRE(::utimensat(AT_FDCWD, (dir / "to").c_str(), old_times, 0) == 0);
    auto bad = deliver(plan(b), dir / "to", method);
    REQUIRE(bad);
    REQUIRE(bad->not_delivered.size() == 1);
    CHECK(bad->not_delivered[0].problem == SourceProblem::damaged);
    CHECK(bad->not_delivered[0].item.job == "a");
    CHECK(bad->not_delivered[0].sha256 == sha256_hex("truncated"));
    CHECK(bad->linked + bad->copied == 0);
    struct stat st {};
    REQUIRE(::stat((dir / "to").c_str(), &st) == 0);
    CHECK(st.st_mtim.tv_sec == 1000);
    CHECK(std::distance(fs::directory_iterator(dir / "to"), fs::directory_iterator()) == 1);  // delivery.csv
  }
}

TEST_CASE("a damaged or missing result leaves its take out and the others are delivered") {
  test::TempDir dir;
  BatchReport b = batch_with(dir / "out", {"a", "b", "c"});
  test::write_file(dir / "out/a.mp4", "video of A");  // same size, other bytes: an edit in place
  fs::remove(dir / "out/c.mp4");
  auto done = deliver(plan(b), dir / "to", DeliverMethod::link_or_copy);
  REQUIRE(done);
  CHECK(done->linked == 1);
  REQUIRE(done->not_delivered.size() == 2);
  CHECK(done->not_delivered[0].problem == SourceProblem::damaged);
  CHECK(done->not_delivered[1].problem == SourceProblem::missing);
  CHECK(done->not_delivered[1].item.job == "c");
  CHECK(test::read_file(dir / "to/b-1.mp4") == "video of b");
  CHECK_FALSE(fs::exists(dir / "to/a-1.mp4"));
  CHECK_FALSE(fs::exists(dir / "to/.a-1.mp4.reelq-part"));
  CHECK(test::read_file(dir / "to/delivery.csv").find(",a,") == std::string::npos);
}

TEST_CASE("copies asked for are copies, even on the results' filesystem, and listed as such") {
  test::TempDir dir;
  BatchReport b = batch_with(dir / "out", {"a"});
  auto copied = deliver(plan(b), dir / "to", DeliverMethod::copy);
  REQUIRE(copied);
  CHECK(copied->copied == 1);
  CHECK(copied->linked == 0);
  CHECK(inode(dir / "to/a-1.mp4") != inode(dir / "out/a.mp4"));
  CHECK(test::read_file(dir / "to/a-1.mp4") == "video of a");
  CHECK(test::read_file(dir / "to/delivery.csv").ends_with(",copy\r\n"));
  CHECK_FALSE(fs::exists(dir / "to/.a-1.mp4.reelq-part"));
}

TEST_CASE("copies asked for where an earlier delivery linked turn the links into copies; the renders stay") {
  test::TempDir dir;
  BatchReport b = batch_with(dir / "out", {"a", "b"});
  REQUIRE(deliver(plan(b), dir / "to", DeliverMethod::link_or_copy));
  REQUIRE(inode(dir / "to/a-1.mp4") == inode(dir / "out/a.mp4"));
  auto copied = deliver(plan(b), dir / "to", DeliverMethod::copy);
  REQUIRE(copied);
  CHECK(copied->copied == 2);
  CHECK(copied->already_there == 0);
  CHECK(inode(dir / "to/a-1.mp4") != inode(dir / "out/a.mp4"));
  // The list reads one row per file, as it is now: the link rows gave way to copy rows.
  std::string csv = test::read_file(dir / "to/delivery.csv");
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 3);
  CHECK(csv.find(",link\r\n") == std::string::npos);
  CHECK(csv.find("," + (dir / "to/b-1.mp4").string() + ",") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "to/.delivery.csv.reelq-part"));
  // An edit in the folder now leaves the render alone.
  test::write_file(dir / "to/a-1.mp4", "graded");
  CHECK(test::read_file(dir / "out/a.mp4") == "video of a");
  CHECK(fs::hard_link_count(dir / "out/a.mp4") == 1);
  CHECK_FALSE(fs::exists(dir / "to/.a-1.mp4.reelq-part"));
  // A copy already there is left as it is.
  auto again = deliver(plan(b), dir / "to", DeliverMethod::copy);
  REQUIRE(again);  // a-1.mp4 holds the edit now: never overwritten, left out and named
  REQUIRE(again->not_delivered.size() == 1);
  CHECK(again->not_delivered[0].problem == SourceProblem::in_the_way);
  CHECK(again->already_there == 1);
  CHECK(test::read_file(dir / "to/a-1.mp4") == "graded");
}

TEST_CASE("an edited file in the folder is left alone and the new takes still go in beside it") {
  test::TempDir dir;
  BatchReport b = batch_with(dir / "out", {"a"});
  REQUIRE(deliver(plan(b), dir / "to", DeliverMethod::copy));
  test::write_file(dir / "to/a-1.mp4", "graded by the client");
  BatchReport more = batch_with(dir / "out", {"a", "b"});
  auto added = deliver(plan(more), dir / "to", DeliverMethod::copy);
  REQUIRE(added);
  CHECK(added->copied == 1);
  REQUIRE(added->not_delivered.size() == 1);
  CHECK(added->not_delivered[0].item.job == "a");
  CHECK(test::read_file(dir / "to/a-1.mp4") == "graded by the client");
  CHECK(test::read_file(dir / "to/b-1.mp4") == "video of b");
}

TEST_CASE("a delivery.csv lost or deleted is filled in again for the files already there, once") {
  test::TempDir dir;
  BatchReport b = batch_with(dir / "out", {"a", "b"});
  REQUIRE(deliver(plan(b), dir / "to", DeliverMethod::link_or_copy));
  const std::string first = test::read_file(dir / "to/delivery.csv");
  fs::remove(dir / "to/delivery.csv");
  auto again = deliver(plan(b), dir / "to", DeliverMethod::link_or_copy);
  REQUIRE(again);
  CHECK(again->already_there == 2);
  CHECK(test::read_file(dir / "to/delivery.csv") == first);  // the same rows, in the same order
  REQUIRE(deliver(plan(b), dir / "to", DeliverMethod::link_or_copy));
  CHECK(test::read_file(dir / "to/delivery.csv") == first);  // and not listed twice
}

TEST_CASE("a link planted under the staging name is refused, not written through, whichever the method") {
  for (DeliverMethod method : {DeliverMethod::link_or_copy, DeliverMethod::copy}) {
    test::TempDir dir;
    BatchReport b = batch_with(dir / "out", {"a"});
    test::write_file(dir / "victim", "precious");
    fs::create_directories(dir / "to");
    fs::create_symlink(dir / "victim", dir / "to/.a-1.mp4.reelq-part");
    auto refused = deliver(plan(b), dir / "to", method);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message.find("is a symbolic link") != std::string::npos);
    CHECK(test::read_file(dir / "victim") == "precious");
    CHECK_FALSE(fs::exists(dir / "to/a-1.mp4"));
  }
}

TEST_CASE("two files given one name stop the plan, with the placeholder that tells them apart") {
  test::TempDir dir;
  BatchReport b = batch_with(dir / "out", {"a"});
  b.rows[0].files.push_back({1, "https://cdn/y", "a.mp4", 0, "", ""});
  auto same = plan_delivery({b}, nullptr, "{job}-{take}");
  REQUIRE_FALSE(same);
  CHECK(same.error().message ==
        "--name gives a-1.mp4 to two files (batch night job a take 1 file 1, and batch night job a take 1 file 2): "
        "add {index} to it ({index} tells the files of one take apart): --name '{job}-{take}-{index}'; nothing was "
        "delivered");
  CHECK(plan_delivery({b}, nullptr, "{job}-{take}-{index}"));
}

TEST_CASE("takes, jobs and batches that collide are each told the placeholder they lack") {
  test::TempDir dir;
  BatchReport b = batch_with(dir / "out", {"a", "b"});
  ReportRow take2 = b.rows[0];
  take2.take = 2;
  b.rows.push_back(take2);

  auto takes = plan_delivery({b}, nullptr, "{job}{ext}");
  REQUIRE_FALSE(takes);
  CHECK(takes.error().message ==
        "--name gives a.mp4 to two files (batch night job a take 1, and batch night job a take 2): add {take} to it "
        "({take} tells the takes of one job apart): --name '{job}-{take}{ext}'; nothing was delivered");

  // Three files under one name: the first pair is named, and the one more is counted in the singular.
  auto three = plan_delivery({b}, nullptr, "{batch}");
  REQUIRE_FALSE(three);
  CHECK(three.error().message.find(") (1 more file shares a name with another): ") != std::string::npos);

  // '{ext}' alone is refused before any advice ('-{job}{ext}' would read as an option).
  auto only_ext = plan_delivery({b}, nullptr, "{ext}");
  REQUIRE_FALSE(only_ext);
  CHECK(only_ext.error().message.find("starts with '.' (a hidden file)") != std::string::npos);

  auto jobs = plan_delivery({b}, nullptr, "{batch}-{take}");
  REQUIRE_FALSE(jobs);
  CHECK(jobs.error().message ==
        "--name gives night-1.mp4 to two files (batch night job a take 1, and batch night job b take 1): add {job} "
        "to it ({job} tells different jobs apart): --name '{batch}-{take}-{job}'; nothing was delivered");

  BatchReport day = b;
  day.name = "day";
  auto batches = plan_delivery({b, day}, nullptr, "{job}-{take}");
  REQUIRE_FALSE(batches);
  CHECK(batches.error().message ==
        "--name gives a-1.mp4 to two files (batch night job a take 1, and batch day job a take 1) (2 more files share "
        "a name with another): add {batch} to it ({batch} tells a job id used in two batches apart): --name "
        "'{job}-{take}-{batch}'; or deliver one batch at a time: --batch NAME; nothing was delivered");

  // Takes of one job and the same job in two batches at once: both placeholders, each with its reason.
  auto both = plan_delivery({b, day}, nullptr, "{job}");
  REQUIRE_FALSE(both);
  CHECK(both.error().message.ends_with(
      ": add {take} and {batch} to it ({take} tells the takes of one job apart, {batch} tells a job id used in two "
      "batches apart): --name '{job}-{take}-{batch}'; or deliver one batch at a time: --batch NAME; nothing was "
      "delivered"));
}

TEST_CASE("names that collide only because their values run together are told to use a separator") {
  test::TempDir dir;
  BatchReport b = batch_with(dir / "out", {"a1", "a"});
  b.rows[1].take = 11;
  auto run_together = plan_delivery({b}, nullptr, "{job}{take}");
  REQUIRE_FALSE(run_together);
  CHECK(run_together.error().message.ends_with(
      ": the values run together: put a separator between the placeholders (such as {job}-{take}); nothing was "
      "delivered"));
}

TEST_CASE("picks that name several takes the queue cannot deliver name them all, then how many more") {
  test::TempDir dir;
  BatchReport b = batch_with(dir / "out", {"a", "b"});
  b.rows[1].state = JobState::failed;
  Picks picks{"night", {{"a", 1}, {"b", 1}, {"zz", 2}}, std::nullopt};
  auto two = plan_delivery({b}, &picks, "{job}-{take}");
  REQUIRE_FALSE(two);
  CHECK(two.error().kind == ErrorKind::input);
  CHECK(two.error().message ==
        "the picks name 2 takes that are not succeeded takes of batch night: job b take 1 (failed), job zz take 2 "
        "(not in the queue); nothing was delivered (unmark the failed or unfinished ones on the review page, key u; "
        "the others are not in this queue: marks made on another queue's page? pass --db with the queue the page "
        "was made from)");
  // A take of this queue marked by mistake (a failed one): the message says how to take the mark off.
  Picks slip{"night", {{"a", 1}, {"b", 1}}, std::nullopt};
  auto one = plan_delivery({b}, &slip, "{job}-{take}");
  REQUIRE_FALSE(one);
  CHECK(one.error().message ==
        "the picks name job b take 1 (failed), which is not a succeeded take of batch night; nothing was delivered "
        "(unmark it on the review page, key u, and export the marks again; or deliver once it has succeeded)");
  Picks many{std::nullopt, {}, std::nullopt};
  for (int take = 1; take <= 13; ++take) {
    many.keepers.insert({"x", take});
  }
  auto thirteen = plan_delivery({b}, &many, "{job}-{take}");
  REQUIRE_FALSE(thirteen);
  CHECK(thirteen.error().message ==
        "the picks name 13 takes that are not succeeded takes: job x take 1 (not in the queue), job x take 2 (not in "
        "the queue), job x take 3 (not in the queue), job x take 4 (not in the queue), job x take 5 (not in the "
        "queue), job x take 6 (not in the queue), job x take 7 (not in the queue), job x take 8 (not in the queue), "
        "job x take 9 (not in the queue), job x take 10 (not in the queue) and 3 more; nothing was delivered (marks "
        "made on another queue's page? pass --db with the queue the page was made from)");
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
  auto copied = deliver(plan(b), to, DeliverMethod::link_or_copy);
  REQUIRE(copied);
  CHECK(copied->copied == 1);
  CHECK(test::read_file(to / "a-1.mp4") == "video of a");
  CHECK(test::read_file(to / "delivery.csv").find(",copy\r\n") != std::string::npos);
  fs::remove_all(to);
}
