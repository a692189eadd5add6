// Issue 18 items 3, 4 and 6: `run FILE` renders what FILE says. Jobs removed from FILE are not
// submitted, a batch made from another file is not merged into silently, and one changed job does
// not block the rest of the manifest.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <fstream>

#include "cli/enqueue_notices.h"
#include "queue/job_state.h"
#include "queue/manifest_origin.h"
#include "queue/queue.h"
#include "support/fakes.h"

using namespace reelq;

namespace {

Manifest manifest_of(const std::string& text) {
  auto m = parse_manifest(text, {"d.yaml", "."});
  INFO((m ? "" : m.error().message));
  REQUIRE(m.ok());
  return m.value();
}

const char* k_four = R"(
batch: d
jobs:
  - id: d11
    prompt: eleven
  - id: d12
    prompt: twelve
  - id: d13
    prompt: thirteen
  - id: d14
    prompt: fourteen
)";

const char* k_one = R"(
batch: d
jobs:
  - id: d11
    prompt: eleven
)";

int count(Queue& q, const std::string& where) {
  return q.db().execAndGet("SELECT count(*) FROM jobs WHERE " + where).getInt();
}

std::string text(Queue& q, const std::string& sql) {
  return q.db().execAndGet(sql).getString();
}

std::string replaced_in(std::string s, const std::string& from, const std::string& to) {
  s.replace(s.find(from), from.size(), to);
  return s;
}

}  // namespace

TEST_CASE("a changed take is reset by --replace-changed only when nothing of it is paid for or still at the API") {
  CHECK(replaceable_when_changed(JobState::queued, "", false, false));
  CHECK(replaceable_when_changed(JobState::cancelled, "", false, false));
  CHECK(replaceable_when_changed(JobState::failed, "CONTENT_VIOLATION", true, false));
  // Rendered and paid for (a download that failed): it keeps its spec, and estimate does not price it again.
  CHECK_FALSE(replaceable_when_changed(JobState::failed, "DOWNLOAD_FAILED", true, true));
  // Its task may yet be rendered or collected: a reset would forget it.
  CHECK_FALSE(replaceable_when_changed(JobState::failed, "RENDER_TIMEOUT", true, false));
  CHECK(replaceable_when_changed(JobState::failed, "RENDER_TIMEOUT", false, false));
  CHECK_FALSE(replaceable_when_changed(JobState::running, "", true, false));
  CHECK_FALSE(replaceable_when_changed(JobState::succeeded, "", true, true));
}

TEST_CASE("queued jobs no longer in the manifest are cancelled, with the reason, and listed") {
  test::TempDir dir;
  test::FakeClock clock;
  auto q = Queue::open(dir / "q.db", clock);
  REQUIRE(q.value()->enqueue(manifest_of(k_four), "/p/d.yaml", OnChanged::refuse).ok());
  auto r = q.value()->enqueue(manifest_of(k_one), "/p/d.yaml", OnChanged::refuse);
  REQUIRE(r.ok());
  CHECK(r->removed == std::vector<std::string>{"d12", "d13", "d14"});
  CHECK(r->removed_at_api.empty());
  CHECK(count(*q.value(), "state = 'queued'") == 1);
  CHECK(count(*q.value(), "state = 'cancelled' AND note = 'no longer in d.yaml'") == 3);
  CHECK(text(*q.value(), "SELECT group_concat(message) FROM events WHERE endpoint = 'enqueue'") ==
        "no longer in d.yaml,no longer in d.yaml,no longer in d.yaml");

  SUBCASE("a job put back in the manifest comes back to the queue") {
    auto back = q.value()->enqueue(manifest_of(k_four), "/p/d.yaml", OnChanged::refuse);
    REQUIRE(back.ok());
    CHECK(back->restored == 3);
    CHECK(count(*q.value(), "state = 'queued' AND note IS NULL") == 4);
  }
  SUBCASE("they are listed once: the next enqueue finds nothing queued to cancel") {
    auto again = q.value()->enqueue(manifest_of(k_one), "/p/d.yaml", OnChanged::refuse);
    REQUIRE(again.ok());
    CHECK(again->removed.empty());
  }
}

TEST_CASE("jobs no longer in the manifest that the API has are collected, not cancelled") {
  test::TempDir dir;
  test::FakeClock clock;
  auto q = Queue::open(dir / "q.db", clock);
  REQUIRE(q.value()->enqueue(manifest_of(k_four), "/p/d.yaml", OnChanged::refuse).ok());
  q.value()->db().exec("UPDATE jobs SET state = 'running', task_id = 't12' WHERE job_id = 'd12'");
  q.value()->db().exec("UPDATE jobs SET state = 'succeeded', task_id = 't13' WHERE job_id = 'd13'");
  auto r = q.value()->enqueue(manifest_of(k_one), "/p/d.yaml", OnChanged::refuse);
  REQUIRE(r.ok());
  CHECK(r->removed == std::vector<std::string>{"d14"});
  CHECK(r->removed_at_api == std::vector<std::string>{"d12"});
  CHECK(count(*q.value(), "job_id = 'd12' AND state = 'running'") == 1);
  CHECK(count(*q.value(), "job_id = 'd13' AND state = 'succeeded'") == 1);
}

TEST_CASE("--keep-removed leaves queued jobs no longer in the manifest queued, and still lists them") {
  test::TempDir dir;
  test::FakeClock clock;
  auto q = Queue::open(dir / "q.db", clock);
  REQUIRE(q.value()->enqueue(manifest_of(k_four), "/p/d.yaml", OnChanged::refuse).ok());
  EnqueueOptions keep;
  keep.on_removed = OnRemoved::keep;
  auto r = q.value()->enqueue(manifest_of(k_one), "/p/d.yaml", keep);
  REQUIRE(r.ok());
  CHECK(r->removed == std::vector<std::string>{"d12", "d13", "d14"});
  CHECK(count(*q.value(), "state = 'queued'") == 4);
}

TEST_CASE("a batch created from another manifest file is refused, naming it and the way out") {
  test::TempDir dir;
  test::FakeClock clock;
  auto q = Queue::open(dir / "q.db", clock);
  std::ofstream(dir / "social.yaml") << k_four;
  std::ofstream(dir / "social-copy.yaml") << k_four;
  REQUIRE(q.value()->enqueue(manifest_of(k_four), dir / "social.yaml", OnChanged::refuse).ok());
  auto r = q.value()->enqueue(manifest_of(k_one), dir / "social-copy.yaml", OnChanged::refuse);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == ErrorKind::conflict);
  CHECK(r.error().message ==
        fmt::format("batch 'd' was created from {}, not from {}; nothing was enqueued. Give {} a batch name of its "
                    "own (its batch: line; its jobs are then new jobs, rendered and paid for again), or add "
                    "--into-batch to add its jobs to batch 'd' on purpose (jobs the batch rendered already are not "
                    "rendered again)\n",
                    (dir / "social.yaml").string(), (dir / "social-copy.yaml").string(),
                    (dir / "social-copy.yaml").string()));
  CHECK(text(*q.value(), "SELECT manifest_path FROM batches") == (dir / "social.yaml").string());
  CHECK(count(*q.value(), "state = 'queued'") == 4);

  SUBCASE("--into-batch adds the jobs, keeps the batch's own manifest, and cancels nothing of it") {
    EnqueueOptions into;
    into.into_batch = IntoBatch::yes;
    std::string extra = std::string(k_one) + "  - id: extra\n    prompt: from the copy\n";
    auto merged = q.value()->enqueue(manifest_of(extra), dir / "social-copy.yaml", into);
    REQUIRE(merged.ok());
    CHECK(merged->added == 1);
    CHECK(merged->removed.empty());
    CHECK(count(*q.value(), "state = 'queued'") == 5);
    CHECK(text(*q.value(), "SELECT manifest_path FROM batches") == (dir / "social.yaml").string());
    // The batch's own manifest later does not cancel what was merged in on purpose.
    auto own = q.value()->enqueue(manifest_of(k_four), dir / "social.yaml", OnChanged::refuse);
    REQUIRE(own.ok());
    CHECK(own->removed.empty());
    CHECK(count(*q.value(), "job_id = 'extra' AND state = 'queued'") == 1);
  }
}

TEST_CASE("the manifest file is recognised after its folder moved") {
  test::TempDir dir;
  std::filesystem::create_directories(dir / "night-archive");
  std::ofstream(dir / "night-archive" / "night.yaml") << "x";
  std::ofstream(dir / "night-archive" / "copy.yaml") << "x";
  std::ofstream(dir / "other.yaml") << "x";
  {
    // The recorded path is gone (the folder was renamed): the same file name is the same manifest.
    CHECK(same_manifest_file((dir / "night" / "night.yaml").string(), dir / "night-archive" / "night.yaml",
                             dir / "night-archive"));
    CHECK_FALSE(same_manifest_file((dir / "night" / "night.yaml").string(), dir / "night-archive" / "copy.yaml",
                                   dir / "night-archive"));
    // The recorded file still exists: only that file is the batch's manifest.
    CHECK(same_manifest_file((dir / "other.yaml").string(), dir / "." / "other.yaml", dir.path()));
    CHECK_FALSE(same_manifest_file((dir / "other.yaml").string(), dir / "night-archive" / "copy.yaml", dir.path()));
    // A path recorded relative to the queue's folder.
    CHECK(same_manifest_file("night.yaml", dir / "night-archive" / "night.yaml", dir / "night-archive"));
    CHECK_FALSE(same_manifest_file("night.yaml", dir / "night-archive" / "copy.yaml", dir / "night-archive"));
  }
}

TEST_CASE("one changed job is left out and reported; the rest of the manifest goes ahead") {
  test::TempDir dir;
  test::FakeClock clock;
  auto q = Queue::open(dir / "q.db", clock);
  REQUIRE(q.value()->enqueue(manifest_of(k_four), "/p/d.yaml", OnChanged::refuse).ok());
  std::string edited = replaced_in(k_four, "twelve", "TWELVE") + "  - id: d15\n    prompt: fifteen\n";
  auto r = q.value()->enqueue(manifest_of(edited), "/p/d.yaml", OnChanged::refuse);
  REQUIRE(r.ok());
  CHECK(r->added == 1);
  CHECK(r->unchanged == 3);
  CHECK(r->left_out == std::vector<std::string>{
                           "/p/d.yaml:6:5: job 'd12' changed since it was enqueued (prompt differs) and was left out "
                           "(1 queued take not submitted); add --replace-changed to render the new spec in place of "
                           "takes not yet rendered"});
  // Its queued take, with the old prompt, is not rendered: the manifest no longer says it.
  CHECK(count(*q.value(), "job_id = 'd12' AND state = 'cancelled'") == 1);
  CHECK(count(*q.value(), "job_id = 'd15' AND state = 'queued'") == 1);

  SUBCASE("with --replace-changed it renders the new spec") {
    auto rr = q.value()->enqueue(manifest_of(edited), "/p/d.yaml", OnChanged::replace);
    REQUIRE(rr.ok());
    CHECK(rr->replaced == 1);
    CHECK(count(*q.value(), "job_id = 'd12' AND state = 'queued' AND input_json GLOB '*TWELVE*'") == 1);
  }
  SUBCASE("the edit reverted, the job is back as it was") {
    auto back = q.value()->enqueue(manifest_of(k_four), "/p/d.yaml", OnChanged::refuse);
    REQUIRE(back.ok());
    CHECK(back->restored == 1);
    CHECK(back->left_out.empty());
    CHECK(count(*q.value(), "job_id = 'd12' AND state = 'queued' AND note IS NULL") == 1);
  }
}

TEST_CASE("a rendered job whose prompt changed: raising takes renders the new spec, as the advice says") {
  test::TempDir dir;
  test::FakeClock clock;
  auto q = Queue::open(dir / "q.db", clock);
  REQUIRE(q.value()->enqueue(manifest_of(k_four), "/p/d.yaml", OnChanged::refuse).ok());
  q.value()->db().exec(
      "UPDATE jobs SET state = 'succeeded', task_id = 't11', result_urls = '[\"https://x/v.mp4\"]' "
      "WHERE job_id = 'd11'");
  std::string edited = replaced_in(k_four, "eleven", "ELEVEN");

  auto refused = q.value()->enqueue(manifest_of(edited), "/p/d.yaml", OnChanged::refuse);
  REQUIRE(refused.ok());
  CHECK(refused->left_out ==
        std::vector<std::string>{"/p/d.yaml:4:5: job 'd11' changed since it was enqueued (prompt differs) and was "
                                 "left out; take 1 was already rendered and paid for. To render the new spec as "
                                 "well, raise takes to 2 and add --replace-changed (or give the job another id)"});
  CHECK(refused->unchanged == 3);

  auto kept = q.value()->enqueue(manifest_of(edited), "/p/d.yaml", OnChanged::replace);
  REQUIRE(kept.ok());
  CHECK(kept->kept == std::vector<std::string>{
                          "/p/d.yaml:4:5: job 'd11' take 1 changed (prompt differs) but it was already rendered and "
                          "paid for; it cannot be replaced and stays as it is. To render the new spec as well, raise "
                          "takes to 2"});
  CHECK(kept->unchanged == 4);

  std::string raised = replaced_in(edited, "prompt: ELEVEN", "prompt: ELEVEN\n    takes: 2");
  auto more = q.value()->enqueue(manifest_of(raised), "/p/d.yaml", OnChanged::replace);
  REQUIRE(more.ok());
  CHECK(more->added == 1);
  CHECK(more->kept == std::vector<std::string>{"/p/d.yaml:4:5: job 'd11' take 1 keeps its earlier spec: it was "
                                               "already rendered and paid for; take 2 renders the new one"});
  CHECK(count(*q.value(), "job_id = 'd11' AND take = 2 AND state = 'queued' AND input_json GLOB '*ELEVEN*'") == 1);
  CHECK(count(*q.value(), "job_id = 'd11' AND take = 1 AND state = 'succeeded' AND input_json GLOB '*eleven*'") == 1);

  // From now on the manifest as it is raises nothing: take 1 is history, take 2 is the new spec.
  auto again = q.value()->enqueue(manifest_of(raised), "/p/d.yaml", OnChanged::refuse);
  REQUIRE(again.ok());
  CHECK(again->left_out.empty());
  CHECK(again->kept.empty());
  CHECK(again->unchanged == 5);
}

TEST_CASE("a row inserted in a job list: the rename warning names the list and the row, not only the manifest") {
  test::TempDir dir;
  test::FakeClock clock;
  auto q = Queue::open(dir / "q.db", clock);
  const std::string yaml = "batch: night\njobs_from: [shots.csv]\n";
  auto parse = [&] {
    auto m = parse_manifest(yaml, {"night.yaml", dir.path()});
    REQUIRE(m.ok());
    return m.value();
  };
  test::write_file(dir / "shots.csv", "id,prompt\n,one\n,two\n,three\n,four\n");
  REQUIRE(q.value()->enqueue(parse(), dir / "night.yaml", OnChanged::refuse).ok());
  q.value()->db().exec("UPDATE jobs SET state = 'succeeded', task_id = 't4' WHERE job_id = 'shots-4'");
  // A row with an id of its own inserted above "four": "four" is now shots-5, and no row is shots-4.
  test::write_file(dir / "shots.csv", "id,prompt\n,one\n,two\n,three\nnewrow,inserted\n,four\n");
  Manifest m = parse();
  auto r = q.value()->enqueue(m, dir / "night.yaml", OnChanged::refuse);
  REQUIRE(r.ok());
  CHECK(r->renamed == std::vector<std::string>{"shots-4 -> shots-5 at shots.csv:6:1"});
  auto c = notice_context(m, (dir / "night.yaml").string(), "q.db", OnRemoved::cancel);
  CHECK(c.manifest_name == "night.yaml");
  CHECK(c.job_lists == std::vector<std::string>{"shots.csv"});
  const auto lines = enqueue_notices(*r, c);
  REQUIRE(!lines.empty());
  CHECK(lines.back() ==
        "warning: 1 job new to the queue asks for exactly what a job no longer in night.yaml or shots.csv already "
        "paid for (shots-4 -> shots-5 at shots.csv:6:1): the id changed (a renamed job, a row added or removed above "
        "it in a job list, or ids an older reelq gave a vary:), and a run renders and pays for it again. To keep the "
        "renders, give it its old id back in night.yaml or shots.csv (a job list's row: in an id column)");
}

TEST_CASE("a new job asking for exactly what a removed job paid for is reported as renamed") {
  test::TempDir dir;
  test::FakeClock clock;
  auto q = Queue::open(dir / "q.db", clock);
  REQUIRE(q.value()->enqueue(manifest_of(k_four), "/p/d.yaml", OnChanged::refuse).ok());
  q.value()->db().exec("UPDATE jobs SET state = 'succeeded', task_id = 't12' WHERE job_id = 'd12'");
  // d12 renamed to d12b (same prompt: the same input); d14 renamed to d14b while still queued
  // (nothing paid: not reported); a new job with a new prompt is not a rename.
  const std::string renamed = replaced_in(replaced_in(k_four, "id: d12", "id: d12b"), "id: d14", "id: d14b") +
                              "  - id: d15\n    prompt: fifteen\n";
  auto r = q.value()->enqueue(manifest_of(renamed), "/p/d.yaml", OnChanged::refuse);
  REQUIRE(r.ok());
  CHECK(r->renamed == std::vector<std::string>{"d12 -> d12b"});
  const auto lines = enqueue_notices(*r, {"d.yaml", "q.db", "d", OnRemoved::cancel, {}});
  REQUIRE(!lines.empty());
  CHECK(
      lines.back().starts_with("warning: 1 job new to the queue asks for exactly what a job no longer in d.yaml "
                               "already paid for (d12 -> d12b)"));
  CHECK(lines.back().find("give it its old id back") != std::string::npos);

  SUBCASE("the same manifest again: the renamed job is in the queue now, and said once") {
    auto again = q.value()->enqueue(manifest_of(renamed), "/p/d.yaml", OnChanged::refuse);
    REQUIRE(again.ok());
    CHECK(again->renamed.empty());  // d12b is no longer new to the queue
  }
  SUBCASE("the old id put back: nothing is renamed") {
    auto back = q.value()->enqueue(manifest_of(k_four), "/p/d.yaml", OnChanged::refuse);
    REQUIRE(back.ok());
    CHECK(back->renamed.empty());
  }
}
