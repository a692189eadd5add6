#pragma once
// The one thing the listener's threads and the run loop share: "task X may have changed" hints and
// log lines, pushed by the listener, taken by the loop on its next turn. Bounded, so a flood of
// callbacks cannot grow memory; the loop decides everything (a hint is never an outcome).
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "util/clock.h"
#include "util/wakeup.h"

namespace reelq {

struct InboxItems {
  std::vector<std::string> hints;  // task ids, each once, in arrival order
  std::vector<std::string> notes;  // log lines for the loop to print (the listener prints nothing)
};

// What the run loop sees. Tests use a fake on the fake clock (tests/support/fake_inbox.h).
class RunInbox {
 public:
  virtual ~RunInbox() = default;
  // Everything pushed since the last call; empties the inbox.
  virtual InboxItems take() = 0;
  // Waits up to `ms` for something to arrive (returns sooner when it does). The run loop waits
  // here instead of sleeping, so a callback is acted on at once, not at the next tick.
  virtual void wait_ms(TimeMs ms) = 0;
};

class BoundedInbox final : public RunInbox {
 public:
  static constexpr size_t k_max_hints = 10000;  // distinct task ids waiting; more are dropped
  static constexpr size_t k_max_notes = 100;    // log lines waiting; more are counted, not kept

  // False when the inbox is full (the hint is dropped: polling finds the task later).
  bool push_hint(const std::string& task_id);
  void push_note(std::string line);

  InboxItems take() override;
  void wait_ms(TimeMs ms) override;
  // Also notify `wakeup` when a hint arrives (the run loop sleeps on it while requests are out).
  // It must outlive the inbox's use.
  // May be set while the listener runs.
  void notify_too(Wakeup* wakeup) { m_wakeup.store(wakeup); }

 private:
  std::atomic<Wakeup*> m_wakeup{nullptr};
  std::mutex m_mutex;
  std::condition_variable m_arrived;
  std::vector<std::string> m_hints;
  std::unordered_set<std::string> m_hint_set;
  std::vector<std::string> m_notes;
  size_t m_notes_dropped = 0;
};

}  // namespace reelq
