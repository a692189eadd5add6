// The runner's writes: one transaction per update, or one for a whole turn of answers.
#include "queue/run_store.h"

#include <doctest/doctest.h>

#include "manifest/manifest.h"
#include "queue/queue.h"
#include "support/fakes.h"

using namespace reelq;

namespace {

struct Store {
  test::TempDir dir;
  test::FakeClock clock;
  std::unique_ptr<Queue> queue;
  std::unique_ptr<RunStore> store;
  std::vector<std::int64_t> rows;

  Store() {
    queue = std::move(Queue::open(dir / "q.db", clock).value());
    auto m =
        parse_manifest("batch: night\njobs:\n  - id: a\n    prompt: p\n  - id: b\n    prompt: q\n", {"m.yaml", "."});
    REQUIRE(m.ok());
    REQUIRE(queue->enqueue(m.value(), "/m.yaml", OnChanged::refuse).ok());
    store = std::make_unique<RunStore>(queue->db(), clock);
    SQLite::Statement q(queue->db(), "SELECT id FROM jobs ORDER BY id");
    while (q.executeStep()) {
      rows.push_back(q.getColumn(0).getInt64());
    }
  }
  // What another connection sees: only what was committed.
  int committed(const std::string& where) {
    SQLite::Database other((dir / "q.db").string(), SQLite::OPEN_READONLY);
    return other.execAndGet("SELECT count(*) FROM jobs WHERE " + where).getInt();
  }
  JobUpdate running(const std::string& task) {
    JobUpdate u;
    u.state = JobState::running;
    u.task_id = task;
    return u;
  }
};

}  // namespace

TEST_CASE("a turn's updates are committed together, and not before commit()") {
  Store s;
  EventRecord e{"generateTask", 200, 200, "ok", "t-1", "ok"};
  RunStore::TurnWrites turn(*s.store);
  REQUIRE(s.store->update(s.rows[0], s.running("t-1"), &e).ok());
  REQUIRE(s.store->update(s.rows[1], s.running("t-2"), &e).ok());
  CHECK(s.committed("state = 'running'") == 0);  // still the turn's
  REQUIRE(turn.commit().ok());
  CHECK(s.committed("state = 'running' AND task_id IS NOT NULL") == 2);
  CHECK(s.queue->db().execAndGet("SELECT count(*) FROM events WHERE endpoint = 'generateTask'").getInt() == 2);
}

TEST_CASE("a turn not committed is rolled back whole; updates outside a turn commit at once") {
  Store s;
  {
    RunStore::TurnWrites turn(*s.store);
    REQUIRE(s.store->update(s.rows[0], s.running("t-1"), nullptr).ok());
  }
  CHECK(s.committed("state = 'running'") == 0);
  REQUIRE(s.store->update(s.rows[1], s.running("t-2"), nullptr).ok());
  CHECK(s.committed("state = 'running' AND task_id = 't-2'") == 1);
}

TEST_CASE("a statement prepared once serves updates of every shape, each with its own values") {
  Store s;
  REQUIRE(s.store->update(s.rows[0], s.running("t-1"), nullptr).ok());
  JobUpdate next;
  next.next_at = 42;
  REQUIRE(s.store->update(s.rows[0], next, nullptr).ok());
  REQUIRE(s.store->update(s.rows[1], s.running("t-2"), nullptr).ok());  // the first shape again
  CHECK(s.committed("task_id = 't-1' AND next_at = 42") == 1);
  CHECK(s.committed("task_id = 't-2' AND state = 'running'") == 1);
}
