#include "cli/finish_tally.h"

#include <algorithm>

#include "queue/run_store.h"

namespace reelq {

namespace {

// The batch's counts as the queue holds them; `if_absent` takes left when it holds none of it.
BatchCounts counts_of(RunStore& store, const std::string& batch, int if_absent) {
  BatchCounts c;
  if (!store.batch(batch)) {
    c.left = if_absent;
    return c;
  }
  auto counts = store.counts(batch);
  if (!counts) {
    return c;  // the database failed: the run's own summary or error said so already
  }
  for (auto [state, n] : counts->by_state) {
    if (state == JobState::succeeded) {
      c.succeeded += n;
    } else if (state == JobState::failed) {
      c.failed += n;
    } else if (state == JobState::cancelled) {
      c.cancelled += n;
    } else {
      c.left += n;
    }
  }
  return c;
}

}  // namespace

void FinishTally::expect(const std::string& batch, int if_absent) {
  m_expected.emplace_back(batch, if_absent);
}

void FinishTally::expect(const Manifest& manifest) {
  int takes = 0;
  for (const auto& job : manifest.jobs) {
    takes += job.takes;
  }
  expect(manifest.batch, takes);
}

FinishTally::~FinishTally() {
  if (!m_finish) {
    return;
  }
  for (const auto& name : m_added_left) {
    m_expected.emplace_back(name, 0);
  }
  RunStore store(m_queue.db(), system_clock());
  for (const auto& [name, if_absent] : m_expected) {
    const auto& done = m_finish->batches;
    if (std::find(done.begin(), done.end(), name) == done.end()) {
      add_not_drained(*m_finish, name, counts_of(store, name, if_absent));
    }
  }
}

}  // namespace reelq
