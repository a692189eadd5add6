#include "queue/queue.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "support/fakes.h"

using namespace reelq;

namespace {

Manifest manifest_of(const std::string& text) {
  auto m = parse_manifest(text, {"m.yaml", "."});
  INFO((m ? "" : m.error().message));
  REQUIRE(m.ok());
  return m.value();
}

const char* k_base = R"(
batch: night
jobs:
  - id: a
    prompt: first
  - id: b
    prompt: second
    takes: 2
)";

int count(Queue& q, const std::string& where = "1") {
  return q.db().execAndGet("SELECT count(*) FROM jobs WHERE " + where).getInt();
}

}  // namespace

TEST_CASE("enqueue writes one queued row per take, and again adds nothing") {
  test::TempDir dir;
  test::FakeClock clock;
  auto q = Queue::open(dir / "q.db", clock);
  REQUIRE(q.ok());
  auto r1 = q.value()->enqueue(manifest_of(k_base), "/m.yaml", OnChanged::refuse);
  REQUIRE(r1.ok());
  CHECK(r1->added == 3);
  CHECK(count(*q.value(), "state = 'queued'") == 3);
  auto r2 = q.value()->enqueue(manifest_of(k_base), "/m.yaml", OnChanged::refuse);
  REQUIRE(r2.ok());
  CHECK(r2->added == 0);
  CHECK(r2->unchanged == 3);
  CHECK(count(*q.value()) == 3);
}

TEST_CASE("the stored input is exactly what the API's input object will be") {
  test::TempDir dir;
  test::FakeClock clock;
  auto q = Queue::open(dir / "q.db", clock);
  REQUIRE(q.value()->enqueue(manifest_of(k_base), "/m.yaml", OnChanged::refuse).ok());
  CHECK(q.value()->db().execAndGet("SELECT input_json FROM jobs WHERE job_id = 'a'").getString() ==
        R"({"mode":"text-to-video","prompt":"first","duration":8,"size":"1280*720"})");
}

TEST_CASE("jobs and takes added to the manifest are appended") {
  test::TempDir dir;
  test::FakeClock clock;
  auto q = Queue::open(dir / "q.db", clock);
  REQUIRE(q.value()->enqueue(manifest_of(k_base), "/m.yaml", OnChanged::refuse).ok());
  std::string more = std::string(k_base) + "    \n  - id: c\n    prompt: third\n";
  more.replace(more.find("takes: 2"), 8, "takes: 3");
  auto r = q.value()->enqueue(manifest_of(more), "/m.yaml", OnChanged::refuse);
  REQUIRE(r.ok());
  CHECK(r->added == 2);
  CHECK(count(*q.value(), "job_id = 'b'") == 3);
  CHECK(count(*q.value(), "job_id = 'c'") == 1);
}

TEST_CASE("a changed spec is reported, naming the job and the field; the rest of the manifest goes ahead") {
  test::TempDir dir;
  test::FakeClock clock;
  auto q = Queue::open(dir / "q.db", clock);
  REQUIRE(q.value()->enqueue(manifest_of(k_base), "/m.yaml", OnChanged::refuse).ok());
  std::string changed = k_base;
  changed.replace(changed.find("second"), 6, "SECOND");
  changed += "  - id: new\n    prompt: would be added\n";
  auto r = q.value()->enqueue(manifest_of(changed), "/m.yaml", OnChanged::refuse);
  REQUIRE(r.ok());
  CHECK(r->left_out == std::vector<std::string>{
                           "/m.yaml:6:5: job 'b' changed since it was enqueued (prompt differs) and was left out (2 "
                           "queued takes not submitted); add --replace-changed to render the new spec in place of "
                           "takes not yet rendered"});
  CHECK(count(*q.value(), "job_id = 'new'") == 1);
  CHECK(count(*q.value(), "job_id = 'b' AND state = 'cancelled'") == 2);

  SUBCASE("--replace-changed requeues takes never submitted") {
    auto rr = q.value()->enqueue(manifest_of(changed), "/m.yaml", OnChanged::replace);
    REQUIRE(rr.ok());
    CHECK(rr->replaced == 2);
    CHECK(rr->added == 0);
    CHECK(count(*q.value(), "input_json GLOB '*SECOND*'") == 2);
  }
  SUBCASE("--replace-changed leaves a take the API already has as it is, and says which take renders the new spec") {
    q.value()->db().exec("UPDATE jobs SET state = 'running', task_id = 't1' WHERE job_id = 'b' AND take = 2");
    auto rr = q.value()->enqueue(manifest_of(changed), "/m.yaml", OnChanged::replace);
    REQUIRE(rr.ok());
    CHECK(rr->kept == std::vector<std::string>{"/m.yaml:6:5: job 'b' take 2 keeps its earlier spec: it is at the API "
                                               "now (running); take 1 renders the new one"});
    CHECK(count(*q.value(), "input_json GLOB '*SECOND*'") == 1);
    CHECK(count(*q.value(), "job_id = 'b' AND take = 2 AND state = 'running' AND input_json GLOB '*second*'") == 1);
  }
}

TEST_CASE("lowering takes cancels the extra queued takes (no flag needed: raising takes again brings them back)") {
  test::TempDir dir;
  test::FakeClock clock;
  auto q = Queue::open(dir / "q.db", clock);
  REQUIRE(q.value()->enqueue(manifest_of(k_base), "/m.yaml", OnChanged::refuse).ok());
  std::string fewer = k_base;
  fewer.replace(fewer.find("takes: 2"), 8, "takes: 1");
  auto rr = q.value()->enqueue(manifest_of(fewer), "/m.yaml", OnChanged::refuse);
  REQUIRE(rr.ok());
  CHECK(rr->cancelled == 1);
  CHECK(rr->left_out.empty());
  CHECK(count(*q.value(), "job_id = 'b' AND take = 2 AND state = 'cancelled'") == 1);

  SUBCASE("raising takes again brings the cancelled take back, without its note") {
    auto back = q.value()->enqueue(manifest_of(k_base), "/m.yaml", OnChanged::refuse);
    REQUIRE(back.ok());
    CHECK(back->restored == 1);
    CHECK(back->added == 0);
    CHECK(count(*q.value(), "job_id = 'b' AND take = 2 AND state = 'queued' AND note IS NULL") == 1);
  }
  SUBCASE("raised part of the way back (3 -> 1 -> 2): the second take returns, no flag needed") {
    std::string three = k_base;
    three.replace(three.find("takes: 2"), 8, "takes: 3");
    REQUIRE(q.value()->enqueue(manifest_of(three), "/m.yaml", OnChanged::refuse).ok());  // adds take 3
    std::string one = k_base;
    one.replace(one.find("takes: 2"), 8, "takes: 1");
    REQUIRE(q.value()->enqueue(manifest_of(one), "/m.yaml", OnChanged::replace).ok());
    auto back = q.value()->enqueue(manifest_of(k_base), "/m.yaml", OnChanged::refuse);
    REQUIRE(back.ok());
    CHECK(count(*q.value(), "job_id = 'b' AND state = 'queued'") == 2);
    CHECK(count(*q.value(), "job_id = 'b' AND take = 3 AND state = 'cancelled'") == 1);
  }
  SUBCASE("a take cancelled with reelq cancel stays cancelled") {
    q.value()->db().exec("UPDATE jobs SET note = 'cancelled by reelq cancel' WHERE job_id = 'b' AND take = 2");
    auto back = q.value()->enqueue(manifest_of(k_base), "/m.yaml", OnChanged::refuse);
    REQUIRE(back.ok());
    CHECK(back->restored == 0);
    CHECK(count(*q.value(), "job_id = 'b' AND take = 2 AND state = 'cancelled'") == 1);
  }
}

TEST_CASE("a failed take whose spec changed can be replaced, its history kept; a rendered one cannot") {
  test::TempDir dir;
  test::FakeClock clock;
  auto q = Queue::open(dir / "q.db", clock);
  REQUIRE(q.value()->enqueue(manifest_of(k_base), "/m.yaml", OnChanged::refuse).ok());
  auto& db = q.value()->db();
  db.exec(
      "UPDATE jobs SET state = 'failed', task_id = 'task_1', attempts = 1, fail_code = 'CONTENT_VIOLATION', "
      "fail_msg = 'please adjust the prompt' WHERE job_id = 'a'");
  db.exec(
      "INSERT INTO events (job, at, endpoint, task_id, outcome) SELECT id, 1, 'generateTask', 'task_1', 'ok' "
      "FROM jobs WHERE job_id = 'a'");
  std::string fixed = k_base;
  fixed.replace(fixed.find("first"), 5, "first, gently");

  auto refused = q.value()->enqueue(manifest_of(fixed), "/m.yaml", OnChanged::refuse);
  REQUIRE(refused.ok());
  CHECK(refused->left_out ==
        std::vector<std::string>{"/m.yaml:4:5: job 'a' changed since it was enqueued (prompt differs) and was left "
                                 "out; add --replace-changed to render the new spec in place of takes not yet "
                                 "rendered"});

  auto replaced = q.value()->enqueue(manifest_of(fixed), "/m.yaml", OnChanged::replace);
  REQUIRE(replaced.ok());
  CHECK(replaced->replaced == 1);
  CHECK(count(*q.value(),
              "job_id = 'a' AND state = 'queued' AND task_id IS NULL AND attempts = 0 AND "
              "fail_code IS NULL AND input_json GLOB '*gently*'") == 1);
  CHECK(db.execAndGet("SELECT count(*) FROM events WHERE task_id = 'task_1'").getInt() == 1);
  CHECK(db.execAndGet("SELECT message FROM events WHERE endpoint = 'enqueue'").getString() ==
        "replaced: prompt changed in the manifest (was failed: CONTENT_VIOLATION)");

  db.exec(
      "UPDATE jobs SET state = 'succeeded', task_id = 'task_2', result_urls = '[\"https://x/v.mp4\"]' "
      "WHERE job_id = 'a'");
  fixed.replace(fixed.find("gently"), 6, "softly");
  auto rendered = q.value()->enqueue(manifest_of(fixed), "/m.yaml", OnChanged::replace);
  REQUIRE(rendered.ok());
  CHECK(rendered->kept ==
        std::vector<std::string>{"/m.yaml:4:5: job 'a' take 1 changed (prompt differs) but it was already rendered "
                                 "and paid for; it cannot be replaced and stays as it is. To render the new spec as "
                                 "well, raise takes to 2"});
}

TEST_CASE("--replace-changed keeps a failed take whose task the API may have rendered or may still render") {
  test::TempDir dir;
  test::FakeClock clock;
  auto q = Queue::open(dir / "q.db", clock);
  REQUIRE(q.value()->enqueue(manifest_of(k_base), "/m.yaml", OnChanged::refuse).ok());
  auto& db = q.value()->db();
  std::string fixed = k_base;
  fixed.replace(fixed.find("first"), 5, "first, gently");
  // The codes retry sends back to `running` under the same taskId (fail_keeps_task).
  for (const char* code : {"RESULT_UNREADABLE", "RENDER_TIMEOUT", "STATUS_MISMATCH"}) {
    CAPTURE(code);
    db.exec(
        fmt::format("UPDATE jobs SET state = 'failed', task_id = 'task_9', fail_code = '{}' WHERE job_id = 'a'", code));
    auto r = q.value()->enqueue(manifest_of(fixed), "/m.yaml", OnChanged::replace);
    REQUIRE(r.ok());
    CHECK(r->replaced == 0);
    CHECK(r->kept ==
          std::vector<std::string>{fmt::format(
              "/m.yaml:4:5: job 'a' take 1 changed (prompt differs) but it holds task task_9, which the API may have "
              "rendered and charged for or may still render ({0}); collect it first: reelq retry --db {1} --batch "
              "night --job a --fail-code {0} (asks about the same task, not paid again); it cannot be replaced and "
              "stays as it is. To render the new spec as well, raise takes to 2",
              code, (dir / "q.db").string())});
    // The take keeps its task (and its spec) for retry to collect.
    CHECK(count(*q.value(),
                "job_id = 'a' AND state = 'failed' AND task_id = 'task_9' AND input_json GLOB '*first\"*'") == 1);
  }
  // The same code without a taskId has nothing to collect: replaced like any other failure.
  db.exec("UPDATE jobs SET task_id = NULL WHERE job_id = 'a'");
  auto r = q.value()->enqueue(manifest_of(fixed), "/m.yaml", OnChanged::replace);
  REQUIRE(r.ok());
  CHECK(r->replaced == 1);
}

TEST_CASE("a batch cannot change model") {
  test::TempDir dir;
  test::FakeClock clock;
  auto q = Queue::open(dir / "q.db", clock);
  REQUIRE(q.value()->enqueue(manifest_of(k_base), "/m.yaml", OnChanged::refuse).ok());
  auto r = q.value()->enqueue(manifest_of(std::string(k_base) + "model: sora-2\n"), "/m.yaml", OnChanged::replace);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message ==
        "batch 'night' was enqueued for model sora-2-pro; the manifest now says sora-2. A batch keeps its model (its "
        "takes, prices and render times are that model's): to render these jobs with sora-2, give the batch a new "
        "name (batch: in the manifest)\n");
}

TEST_CASE("summaries count every state per batch") {
  test::TempDir dir;
  test::FakeClock clock;
  auto q = Queue::open(dir / "q.db", clock);
  REQUIRE(q.value()->enqueue(manifest_of(k_base), "/m.yaml", OnChanged::refuse).ok());
  q.value()->db().exec("UPDATE jobs SET state = 'failed' WHERE job_id = 'a'");
  auto s = q.value()->summaries(std::nullopt);
  REQUIRE(s.ok());
  REQUIRE(s->size() == 1);
  CHECK(s->at(0).name == "night");
  CHECK(s->at(0).total() == 3);
  CHECK(s->at(0).counts.at(JobState::queued) == 2);
  CHECK(s->at(0).counts.at(JobState::failed) == 1);
  CHECK(s->at(0).counts.at(JobState::cancelled) == 0);
  auto missing = q.value()->summaries(std::string("nope"));
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message == "no batch named 'nope' in this database");
}
