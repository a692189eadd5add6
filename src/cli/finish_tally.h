#pragma once
// The finish report's truth about batches a run set out to drain and stopped before summarizing:
// a refusal before the drain (a key refused at the balance check, short funds), a stop before the
// batch began, a resume that stopped before reaching it, a batch another `run` added and this one
// left. Without it such a night told its hooks "left": 0 (a trial's Ctrl-C did).
#include <string>
#include <utility>
#include <vector>

#include "cli/finish_report.h"
#include "queue/queue.h"

namespace reelq {

class FinishTally {
 public:
  // `finish` nullptr: no hooks asked for a report, nothing to do. `queue` must outlive the tally.
  FinishTally(Queue& queue, FinishReport* finish) : m_queue(queue), m_finish(finish) {}
  FinishTally(const FinishTally&) = delete;
  FinishTally& operator=(const FinishTally&) = delete;
  // However the command ends: each expected batch without a summary in the report is added with
  // its counts read from the queue (add_not_drained).
  ~FinishTally();

  // A batch this run sets out to drain; `if_absent`: its takes left when the queue does not hold it
  // yet (a run stopped before it enqueued the manifest).
  void expect(const std::string& batch, int if_absent = 0);
  // The manifest's batch: if absent, all the takes the manifest asks for are left.
  void expect(const Manifest& manifest);
  // Where RunnerScope names the batches others added that it left (cli/handoff.h).
  std::vector<std::string>* added_and_left() { return &m_added_left; }

 private:
  Queue& m_queue;
  FinishReport* m_finish;
  std::vector<std::pair<std::string, int>> m_expected;
  std::vector<std::string> m_added_left;
};

}  // namespace reelq
