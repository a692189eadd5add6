// retry, cancel and missing results against batches really run in-process on the simulator.
#include "queue/operations.h"

#include <doctest/doctest.h>

#include "fetch/collect.h"
#include "support/fake_resolver.h"
#include "support/run_harness.h"

using namespace reelq;
namespace fs = std::filesystem;

namespace {

const char* k_batch = R"(batch: night
defaults: {duration: 8, size: 1280*720}
jobs:
  - id: ok1
    prompt: "fine one"
  - id: ok2
    prompt: "fine two"
  - id: violates
    prompt: "VIOLATEME"
  - id: rejected
    prompt: "REJECTME"
)";

std::string text(test::RunHarness& h, const std::string& sql) {
  return h.queue->db().execAndGet(sql).getString();
}

int tasks_created(test::RunHarness& h) {
  return h.stats()->getValue<int>("tasks_created");
}

// Runs the downloader inline (no threads) for collect_missing.
Result<CollectOutcome> collect(test::RunHarness& h, const std::vector<MissingResult>& missing) {
  DownloadOptions d;
  d.output_dir = h.dir / "out";
  d.workers = 0;
  Downloader downloader(*h.transport, h.clock, d);
  return collect_missing(*h.store, downloader, h.clock, missing, [](const std::string&) {});
}

}  // namespace

TEST_CASE("retry requeues failed jobs by code, keeps their history, and the next run submits them again") {
  test::RunHarness h;
  h.enqueue(k_batch);
  REQUIRE(h.run().end == RunEnd::finished);
  REQUIRE(h.count("state = 'failed'") == 2);
  int before = tasks_created(h);

  JobSelector sel;
  sel.batch = "night";
  sel.fail_codes = {"CONTENT_VIOLATION"};
  auto out = retry_failed(h.queue->db(), h.clock, sel);
  REQUIRE(out.ok());
  CHECK(out->requeued == 2);  // the task that failed and the submit that was refused
  CHECK(out->to_download == 0);
  CHECK(h.count("state = 'queued' AND task_id IS NULL AND attempts = 0 AND fail_code IS NULL") == 2);
  CHECK(h.queue->db()
            .execAndGet("SELECT count(*) FROM events WHERE endpoint = 'retry' AND message LIKE "
                        "'was CONTENT_VIOLATION: %' AND outcome = 'requeued'")
            .getInt() == 2);
  // The first task's id stays in the history.
  CHECK(h.queue->db()
            .execAndGet("SELECT count(*) FROM events e JOIN jobs j ON e.job = j.id WHERE j.job_id = "
                        "'violates' AND e.endpoint = 'generateTask' AND e.task_id IS NOT NULL")
            .getInt() == 1);

  REQUIRE(h.run().end == RunEnd::finished);
  CHECK(tasks_created(h) == before + 1);  // 'violates' rendered (and failed) again; 'rejected' refused again
  CHECK(h.count("state = 'failed'") == 2);
  CHECK(h.count("state = 'succeeded'") == 2);
}

TEST_CASE("retry sends a take whose download failed back to downloading, never to the API") {
  test::RunHarness h;
  h.enqueue(k_batch);
  REQUIRE(h.run().end == RunEnd::finished);
  h.queue->db().exec(
      "UPDATE jobs SET state = 'failed', fail_code = 'DOWNLOAD_FAILED', fail_msg = 'cut' "
      "WHERE job_id = 'ok1'");
  fs::remove(h.dir / "out/ok1-t1.mp4");
  int before = tasks_created(h);
  JobSelector sel;
  sel.job_ids = {"ok1"};
  auto out = retry_failed(h.queue->db(), h.clock, sel);
  REQUIRE(out.ok());
  CHECK(out->requeued == 0);
  CHECK(out->to_download == 1);
  CHECK(text(h, "SELECT state FROM jobs WHERE job_id = 'ok1'") == "downloading");
  REQUIRE(h.run().end == RunEnd::finished);
  CHECK(tasks_created(h) == before);
  CHECK(test::read_file(h.dir / "out/ok1-t1.mp4") == test::k_video);
  CHECK(text(h, "SELECT state || coalesce(fail_code, '-') FROM jobs WHERE job_id = 'ok1'") == "succeeded-");
}

TEST_CASE("retry of a job that does not exist changes nothing and says which") {
  test::RunHarness h;
  h.enqueue(k_batch);
  REQUIRE(h.run().end == RunEnd::finished);
  JobSelector sel;
  sel.batch = "night";
  sel.job_ids = {"violates", "no-such-job"};
  auto out = retry_failed(h.queue->db(), h.clock, sel);
  REQUIRE_FALSE(out.ok());
  CHECK(out.error().message == "no job no-such-job in batch 'night'; nothing was changed");
  CHECK(h.count("state = 'failed'") == 2);
  sel.batch = "day";
  CHECK(retry_failed(h.queue->db(), h.clock, sel).error().message == "no batch named 'day' in this database");
}

TEST_CASE("an AMBIGUOUS_SUBMIT held job is resubmitted on retry and flagged as a possible duplicate charge") {
  test::RunHarness h;
  h.enqueue(k_batch);
  h.queue->db().exec("UPDATE jobs SET state = 'failed', fail_code = 'AMBIGUOUS_SUBMIT' WHERE job_id = 'ok2'");
  JobSelector sel;
  sel.fail_codes = {"AMBIGUOUS_SUBMIT"};
  auto out = retry_failed(h.queue->db(), h.clock, sel);
  REQUIRE(out->requeued == 1);
  CHECK(out->ambiguous == 1);  // cmd_retry warns of a second charge
  CHECK(text(h, "SELECT state || ambiguous || note FROM jobs WHERE job_id = 'ok2'") ==
        "queued1possible duplicate charge");
}

TEST_CASE("a TASK_NOT_FOUND take is resubmitted on retry only flagged as a possible duplicate charge") {
  test::RunHarness h;
  h.enqueue(k_batch);
  h.queue->db().exec(
      "UPDATE jobs SET state = 'failed', task_id = 'task_7', fail_code = 'TASK_NOT_FOUND' WHERE job_id = 'ok1'");
  JobSelector sel;
  sel.fail_codes = {"TASK_NOT_FOUND"};
  auto out = retry_failed(h.queue->db(), h.clock, sel);
  REQUIRE(out->requeued == 1);
  CHECK(out->lost == 1);       // cmd_retry warns of a second charge
  CHECK(out->ambiguous == 0);  // its submit was answered: the task it made is known, not guessed
  CHECK(text(h, "SELECT state || ambiguous || note FROM jobs WHERE job_id = 'ok1'") ==
        "queued0possible duplicate charge");
}

TEST_CASE("cancel turns queued jobs into cancelled ones; a run then leaves them alone") {
  test::RunHarness h;
  h.enqueue(k_batch);
  JobSelector sel;
  sel.job_ids = {"ok2", "violates"};
  auto out = cancel_jobs(h.queue->db(), h.clock, sel);
  REQUIRE(out.ok());
  CHECK(out->cancelled == 2);
  CHECK(out->running == 0);
  REQUIRE(h.run().end == RunEnd::finished);
  CHECK(h.count("state = 'cancelled' AND request_body IS NULL AND task_id IS NULL") == 2);
  CHECK(tasks_created(h) == 1);  // ok1 only ('rejected' was refused at submit)
  CHECK(h.queue->db().execAndGet("SELECT count(*) FROM events WHERE endpoint = 'cancel'").getInt() == 2);
}

TEST_CASE("cancel leaves tasks already at the API to finish, and counts them") {
  test::RunHarness h;
  h.enqueue(k_batch);
  h.queue->db().exec("UPDATE jobs SET state = 'running', task_id = 'task_x' WHERE job_id = 'ok1'");
  auto out = cancel_jobs(h.queue->db(), h.clock, JobSelector{});
  REQUIRE(out.ok());
  CHECK(out->cancelled == 3);
  CHECK(out->running == 1);
  CHECK(text(h, "SELECT state FROM jobs WHERE job_id = 'ok1'") == "running");
}

TEST_CASE("a cancel that lands between the runner's read and its submit wins: the job is never sent") {
  test::RunHarness h;
  h.enqueue(k_batch);
  auto rows = h.store->unfinished_jobs("night");
  REQUIRE(rows.ok());
  std::int64_t row = rows->front().id;
  JobSelector sel;
  sel.job_ids = {rows->front().job_id};
  REQUIRE(cancel_jobs(h.queue->db(), h.clock, sel)->cancelled == 1);
  auto claim = h.store->begin_submit(row, "{}", KeyIdentity{});
  REQUIRE(claim.ok());
  CHECK(*claim == JobState::cancelled);
  CHECK(text(h, "SELECT state || coalesce(request_body, '-') FROM jobs WHERE id = " + std::to_string(row)) ==
        "cancelled-");
  // And the other way round: once claimed, a cancel no longer touches it.
  std::int64_t other = (*rows)[1].id;
  REQUIRE(*h.store->begin_submit(other, "{}", KeyIdentity{}) == JobState::submitting);
  sel.job_ids = {(*rows)[1].job_id};
  auto out = cancel_jobs(h.queue->db(), h.clock, sel);
  CHECK(out->cancelled == 0);
  CHECK(out->running == 1);
}

TEST_CASE("missing results: a deleted file and a failed download are found, and collect_missing fetches them") {
  test::RunHarness h;
  h.enqueue(k_batch);
  REQUIRE(h.run().end == RunEnd::finished);
  h.queue->db().exec("UPDATE batches SET output_dir = '" + (h.dir / "out").string() + "'");
  auto none = missing_results(h.queue->db(), std::nullopt);
  REQUIRE(none.ok());
  CHECK(none->empty());

  fs::remove(h.dir / "out/ok1-t1.mp4");
  fs::remove(h.dir / "out/ok2-t1.mp4");
  h.queue->db().exec(
      "UPDATE jobs SET state = 'failed', fail_code = 'DOWNLOAD_FAILED', fail_msg = 'x' "
      "WHERE job_id = 'ok2'");
  auto missing = missing_results(h.queue->db(), std::string("night"));
  REQUIRE(missing.ok());
  REQUIRE(missing->size() == 2);
  CHECK((*missing)[0].job_id == "ok1");
  CHECK((*missing)[0].state == JobState::succeeded);
  CHECK((*missing)[1].state == JobState::failed);
  CHECK((*missing)[0].finished_at > 0);

  auto out = collect(h, *missing);
  REQUIRE(out.ok());
  CHECK(out->fetched == 2);
  CHECK(out->failed == 0);
  CHECK(test::read_file(h.dir / "out/ok1-t1.mp4") == test::k_video);
  CHECK(test::read_file(h.dir / "out/ok2-t1.mp4") == test::k_video);
  CHECK(h.count("state = 'succeeded' AND fail_code IS NULL") == 2);
  CHECK(missing_results(h.queue->db(), std::nullopt)->empty());
}

TEST_CASE("retry --cancelled brings cancelled takes back to the queue; without it they stay cancelled") {
  test::RunHarness h;
  h.enqueue(k_batch);
  JobSelector sel;
  sel.job_ids = {"ok2"};
  REQUIRE(cancel_jobs(h.queue->db(), h.clock, sel)->cancelled == 1);
  CHECK(retry_failed(h.queue->db(), h.clock, sel)->requeued == 0);
  sel.include_cancelled = true;
  auto out = retry_failed(h.queue->db(), h.clock, sel);
  REQUIRE(out.ok());
  CHECK(out->requeued == 1);
  CHECK(text(h, "SELECT state || coalesce(note, '-') FROM jobs WHERE job_id = 'ok2'") == "queued-");
  REQUIRE(h.run().end == RunEnd::finished);
  CHECK(text(h, "SELECT state FROM jobs WHERE job_id = 'ok2'") == "succeeded");
}

TEST_CASE("collect_missing records an expired URL as a failed download, and the take stays findable") {
  SimConfig c;
  c.url_ttl_seconds = 60;  // scaled by the harness's 0.01: 600 ms
  test::RunHarness h(c);
  h.enqueue(k_batch);
  REQUIRE(h.run().end == RunEnd::finished);
  h.queue->db().exec("UPDATE batches SET output_dir = '" + (h.dir / "out").string() + "'");
  fs::remove(h.dir / "out/ok1-t1.mp4");
  h.clock.advance(10'000);
  auto missing = missing_results(h.queue->db(), std::nullopt);
  REQUIRE(missing->size() == 1);
  auto out = collect(h, *missing);
  REQUIRE(out.ok());
  CHECK(out->fetched == 0);
  CHECK(out->failed == 1);
  CHECK_FALSE(fs::exists(h.dir / "out/ok1-t1.mp4"));
  CHECK(text(h, "SELECT state || ' ' || fail_code FROM jobs WHERE job_id = 'ok1'") == "failed DOWNLOAD_FAILED");
  CHECK(missing_results(h.queue->db(), std::nullopt)->size() == 1);  // still listed for the user
}

TEST_CASE("collect_missing fails a result whose host resolves to this machine at once, with advice that fits") {
  test::RunHarness h;
  h.enqueue(k_batch);
  REQUIRE(h.run().end == RunEnd::finished);
  h.queue->db().exec("UPDATE batches SET output_dir = '" + (h.dir / "out").string() + "'");
  fs::remove(h.dir / "out/ok1-t1.mp4");
  h.queue->db().exec(R"(UPDATE jobs SET result_urls = '["https://cdn.rebind.example/ok1.mp4"]' WHERE job_id = 'ok1')");
  auto missing = missing_results(h.queue->db(), std::nullopt);
  REQUIRE(missing->size() == 1);
  DownloadOptions d;
  d.output_dir = h.dir / "out";
  d.workers = 0;
  d.host_rule = HostRule::public_only;
  auto dns = std::make_shared<test::FakeResolver>();
  dns->table = {{"cdn.rebind.example", {"127.0.0.1"}}};
  d.resolver = dns;
  Downloader downloader(*h.transport, h.clock, d);
  int requests = h.transport->requests;
  auto out = collect_missing(*h.store, downloader, h.clock, *missing, [](const std::string&) {});
  REQUIRE(out.ok());
  CHECK(out->failed == 1);
  CHECK(h.transport->requests == requests);
  // Not "tries again while the URL is valid": it would be refused again.
  CHECK(text(h, "SELECT fail_code || ': ' || fail_msg FROM jobs WHERE job_id = 'ok1'") ==
        "DOWNLOAD_FAILED: the result URL's host 'cdn.rebind.example' resolves to 127.0.0.1, a loopback address: "
        "refused, nothing requested (reelq fetches results only from public hosts while the API base is not on this "
        "machine or a private network; `reelq download` refuses it again)");
}

TEST_CASE("retry --fail-code with a code no failed take has is a usage error that names the codes there are") {
  test::RunHarness h;
  REQUIRE(h.try_enqueue(k_batch).empty());
  h.run();
  JobSelector sel;
  sel.fail_codes = {"CONTENT-VIOLATION"};
  auto out = retry_failed(h.queue->db(), h.clock, sel);
  REQUIRE_FALSE(out.ok());
  CHECK(out.error().kind == ErrorKind::usage);
  CHECK(out.error().message ==
        "no failed take has fail code 'CONTENT-VIOLATION' (did you mean 'CONTENT_VIOLATION'?); the failed takes "
        "have: CONTENT_VIOLATION (2). Nothing was changed");
  CHECK(h.count("state = 'failed'") == 2);
}

TEST_CASE("a TASK_ID_UNUSABLE take is resubmitted only by retry, which counts it to warn that it pays again") {
  test::RunHarness h;
  h.enqueue(k_batch);
  h.queue->db().exec("UPDATE jobs SET state = 'failed', fail_code = 'TASK_ID_UNUSABLE' WHERE job_id = 'ok2'");
  JobSelector sel;
  sel.fail_codes = {"TASK_ID_UNUSABLE"};
  auto out = retry_failed(h.queue->db(), h.clock, sel);
  REQUIRE(out->requeued == 1);
  CHECK(out->unnamed == 1);  // cmd_retry says the resubmit pays for a second render
  CHECK(out->ambiguous == 0);
  CHECK(text(h, "SELECT state || ambiguous || note FROM jobs WHERE job_id = 'ok2'") ==
        "queued0charged twice: the first task was made without a usable taskId");
}
