// A task belongs to the key that made it (issue 20, schema 9): the key is recorded with the submit
// intent, a run given another key refuses to start and says which tasks and what to do, and
// --drop-key gives them up.
#include <doctest/doctest.h>

#include "api/key_identity.h"
#include "api/request.h"
#include "cli/run_guards.h"
#include "queue/operations.h"
#include "support/run_harness.h"

using namespace reelq;

namespace {

const char* k_batch = R"(batch: night
defaults: {duration: 8, size: 1280*720}
jobs:
  - id: one
    prompt: "one"
  - id: two
    prompt: "two"
)";

std::string text(test::RunHarness& h, const std::string& sql) {
  return h.queue->db().execAndGet(sql).getString();
}

// Job `i` submitted with `key`, its task known.
void made_with(test::RunHarness& h, size_t i, const KeyIdentity& key, const std::string& task_id) {
  auto rows = h.store->unfinished_jobs("night");
  REQUIRE(rows.ok());
  REQUIRE(*h.store->begin_submit((*rows)[i].id, "{}", key) == JobState::submitting);
  JobUpdate u;
  u.state = JobState::running;
  u.task_id = task_id;
  REQUIRE(h.store->update((*rows)[i].id, u, nullptr).ok());
}

}  // namespace

TEST_CASE("key fingerprints: 12 hex digits, stable, different keys differ, no piece of the key") {
  std::string a = key_fingerprint("sk-live-0123456789abcdef");
  CHECK(a.size() == 12);
  CHECK(a == key_fingerprint("sk-live-0123456789abcdef"));
  CHECK(a != key_fingerprint("sk-live-0123456789abcdeg"));
  CHECK(a.find("0123") == std::string::npos);
}

TEST_CASE("the submit intent records the key; a run given another key refuses, listing the tasks") {
  test::RunHarness h;
  h.enqueue(k_batch);
  KeyIdentity a{"default", key_fingerprint("key-a")};
  KeyIdentity b{"default", key_fingerprint("key-b")};
  made_with(h, 0, a, "task-1");
  CHECK(text(h, "SELECT key_name || ':' || key_fp FROM jobs WHERE job_id = 'one'") == "default:" + a.fingerprint);

  // The key that made it: nothing to say.
  auto same = settle_task_keys(*h.store, "night", {a}, {});
  REQUIRE(same.ok());
  CHECK(same->empty());

  // Another key behind the same name: refused, nothing changed.
  auto other = settle_task_keys(*h.store, "night", {b}, {});
  REQUIRE_FALSE(other.ok());
  CHECK(other.error().kind == ErrorKind::conflict);
  const std::string& m = other.error().message;
  CHECK(m.find(a.fingerprint + "): one") != std::string::npos);
  CHECK(m.find(a.fingerprint) != std::string::npos);
  CHECK(m.find("now points at another key, fingerprint " + b.fingerprint) != std::string::npos);
  CHECK(m.find("--drop-key default") != std::string::npos);
  CHECK(m.find("key-a") == std::string::npos);
  CHECK(text(h, "SELECT state FROM jobs WHERE job_id = 'one'") == "running");

  // --drop-key for a key that made nothing changes nothing; for the right one, the task is given up.
  REQUIRE_FALSE(settle_task_keys(*h.store, "night", {b}, {"studio-z"}).ok());
  auto dropped = settle_task_keys(*h.store, "night", {b}, {"default"});
  REQUIRE(dropped.ok());
  CHECK(dropped->find("gave up 1 task made with key default") != std::string::npos);
  CHECK(text(h, "SELECT state || ' ' || fail_code FROM jobs WHERE job_id = 'one'") == "failed KEY_DROPPED");
  CHECK(text(h, "SELECT outcome FROM events WHERE outcome = 'key_dropped'") == "key_dropped");
  // The other job, never submitted, is untouched and the run may go on.
  CHECK(text(h, "SELECT state FROM jobs WHERE job_id = 'two'") == "queued");
  CHECK(settle_task_keys(*h.store, "night", {b}, {}).ok());
}

TEST_CASE("tasks made before schema 9 (no key recorded) are taken as the key given now") {
  test::RunHarness h;
  h.enqueue(k_batch);
  made_with(h, 0, KeyIdentity{"default", "x"}, "task-1");
  h.queue->db().exec("UPDATE jobs SET key_name = NULL, key_fp = NULL");
  auto r = settle_task_keys(*h.store, "night", {KeyIdentity{"default", key_fingerprint("any")}}, {});
  REQUIRE(r.ok());
  CHECK(r->empty());
}

TEST_CASE("another batch's task holds a slot of this run's key only when made with that key") {
  test::RunHarness h;
  h.enqueue(k_batch);
  h.enqueue(R"(batch: other
defaults: {duration: 8, size: 1280*720}
jobs:
  - id: x
    prompt: "x"
)");
  KeyIdentity a{"studio-a", key_fingerprint("key-a")};
  KeyIdentity b{"studio-b", key_fingerprint("key-b")};
  auto rows = h.store->unfinished_jobs("other");
  REQUIRE(rows.ok());
  REQUIRE(*h.store->begin_submit(rows->front().id, "{}", a) == JobState::submitting);
  auto of = [&](const KeyIdentity& k) {
    return h.store->foreign_active_jobs("night", "http://127.0.0.1:1", k.fingerprint);
  };
  REQUIRE(of(a).ok());
  CHECK(of(a)->size() == 1);
  CHECK(of(a)->front().key_name == "studio-a");
  CHECK(of(b)->empty());  // key b's slots are not held by key a's task
  // A task from before schema 9 (no key recorded) may be any key's: it is counted.
  h.queue->db().exec("UPDATE jobs SET key_name = NULL, key_fp = NULL WHERE batch = 'other'");
  CHECK(of(b)->size() == 1);
}

TEST_CASE("a task given up with --drop-key is collected, not paid again, by a run that has its key back") {
  test::RunHarness h;
  h.enqueue(k_batch);
  // Job one's task made at the simulator with the run's key, then given up by a run without it.
  HttpApiClient maker(*h.transport, "http://sim", h.key, h.clock);
  auto rows = h.store->unfinished_jobs("night");
  REQUIRE(rows.ok());
  SubmitResult made = maker.submit("sora-2-pro", generate_body((*rows)[0].input_json, RequestType::async, ""));
  REQUIRE(!made.task_id.empty());
  const KeyIdentity mine{"default", key_fingerprint(h.key)};
  made_with(h, 0, mine, made.task_id);
  h.queue->db().exec("UPDATE jobs SET submitted_at = " + std::to_string(h.clock.now_ms()) + " WHERE job_id = 'one'");
  REQUIRE(settle_task_keys(*h.store, "night", {KeyIdentity{"default", key_fingerprint("key-b")}}, {"default"}).ok());
  REQUIRE(text(h, "SELECT fail_code FROM jobs WHERE job_id = 'one'") == "KEY_DROPPED");

  h.adjust = [&](RunConfig& rc) { rc.key = mine; };
  RunSummary s = h.run();
  CHECK(s.end == RunEnd::finished);
  CHECK(s.succeeded == 2);
  CHECK(h.observer.saw("1 task given up earlier with --drop-key was made with a key this run has"));
  CHECK(text(h, "SELECT task_id FROM jobs WHERE job_id = 'one'") == made.task_id);  // the same task, collected
  CHECK(h.stats()->getValue<int>("tasks_created") == 2);                               // one, and job two's
  CHECK(text(h, "SELECT count(*) FROM events WHERE outcome = 'reopened'") == "1");
}

TEST_CASE("a dropped task retried by hand still holds its key's slot while it may render: no 429, no false cap") {
  SimConfig c;
  c.concurrency = 2;
  test::RunHarness h(c);
  h.settings.max_concurrent = 2;
  h.enqueue(k_batch);
  HttpApiClient maker(*h.transport, "http://sim", h.key, h.clock);
  auto rows = h.store->unfinished_jobs("night");
  REQUIRE(rows.ok());
  SubmitResult made = maker.submit("sora-2-pro", generate_body((*rows)[0].input_json, RequestType::async, ""));
  REQUIRE(!made.task_id.empty());  // renders at the simulator, holding one of its 2 slots
  const KeyIdentity mine{"default", key_fingerprint(h.key)};
  made_with(h, 0, mine, made.task_id);
  REQUIRE(settle_task_keys(*h.store, "night", {KeyIdentity{"default", key_fingerprint("key-b")}}, {"default"}).ok());
  // `reelq retry --fail-code KEY_DROPPED`: the take goes back to the queue, its old task forgotten.
  JobSelector retry;
  retry.fail_codes = {"KEY_DROPPED"};
  REQUIRE(retry_failed(h.queue->db(), h.clock, retry).ok());
  h.adjust = [&](RunConfig& rc) { rc.key = mine; };
  RunSummary s = h.run();
  CHECK(s.succeeded == 2);
  auto stats = h.stats();
  CHECK(stats->getObject("rate_limited_by_kind")->getValue<int>("concurrency") == 0);
  CHECK(s.limits_note.empty());  // no cap "learned" from a slot the old task held
}
