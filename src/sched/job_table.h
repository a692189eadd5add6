#pragma once
// The run's jobs in memory, with the indexes that let a turn of the loop cost what changed and not
// the whole batch: counters per state, queued jobs per render class in the order the planner takes
// them, a time-ordered set of queued jobs waiting out a backoff, and the short list of tasks at the
// API. Every change of a job goes through change(), so the indexes and counters never drift.
//
// Sizes: a batch of 100,000 jobs keeps 100,000 rows here; a turn reads the heads of a few classes
// and the tasks at the API (at most the key's slots plus other batches' tasks).
#include <array>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "queue/run_store.h"
#include "sched/render_model.h"
#include "sched/task_lost.h"

namespace reelq {

// One job of the run: its row as stored, and what only this run knows of it.
struct RunJob {
  JobRow row;
  RenderModel::ClassId cls = 0;             // its render class, read once (cost/render_prior.h)
  int poll_errors = 0;                      // failed polls in a row
  int unusable_polls = 0;                   // status answers in a row that do not answer
  std::optional<NotFoundStreak> not_found;  // 404s in a row (any other answer ends the streak)
  bool in_flight = false;                   // a request about it is on the wire: nothing more until answered
  std::uint64_t hint = 0;                   // running: 0, or when its callback's hint arrived (an order, not a time)
  int lane = 0;                             // the run's key its task belongs to (sched/key_lane.h)
  bool ours() const { return !row.foreign(); }
};

// How a take is named in what the run says: "shot-03", "shot-03 take 2", "x of batch other".
std::string take_name(const JobRow& j);

class JobTable {
 public:
  size_t add(JobRow row, RenderModel::ClassId cls, int lane = 0);
  size_t size() const { return m_jobs.size(); }
  const RunJob& operator[](size_t i) const { return m_jobs[i]; }

  // Changes job `i` through `f(RunJob&)`; its place in every index follows.
  template <class F>
  void change(size_t i, F&& f) {
    unindex(i);
    f(m_jobs[i]);
    index(i);
  }

  // Queued jobs whose backoff has ended by `now` join their class's ready line.
  void promote(TimeMs now);

  std::optional<size_t> by_row(std::int64_t row) const;
  // The running job with this taskId (a callback's hint names only the task).
  std::optional<size_t> running_task(const std::string& task_id) const;

  // Running and submitting jobs, ours and other batches': the tasks holding the key's slots.
  const std::set<size_t>& at_api() const { return m_at_api; }
  // The first ready job of each render class, in the planner's order within a class (manifest
  // position, then take).
  std::vector<size_t> ready_heads() const;
  // When the first queued job waiting out a backoff is ready (nullopt: none waits).
  std::optional<TimeMs> next_ready_at() const;
  // Every queued job of ours, ready or waiting: only for the end game, when they are few.
  std::vector<size_t> queued() const;

  int count(JobState state) const { return m_count[static_cast<size_t>(state)]; }  // ours only
  int queued_in_class(RenderModel::ClassId cls) const;                             // ours only
  int foreign_at_api() const { return m_foreign_at_api; }

 private:
  enum class Line { none, ready, waiting };
  using ReadyKey = std::tuple<int, int, size_t>;  // position, take, index
  void index(size_t i);
  void unindex(size_t i);

  std::vector<RunJob> m_jobs;
  std::vector<Line> m_line;  // per job: which queued line holds it
  std::unordered_map<std::int64_t, size_t> m_by_row;
  std::unordered_map<std::string, size_t> m_running_by_task;
  std::set<size_t> m_at_api;
  std::vector<std::set<ReadyKey>> m_ready;        // by class
  std::set<std::pair<TimeMs, size_t>> m_waiting;  // next_at, index
  std::vector<int> m_queued_by_class;
  std::array<int, k_all_states.size()> m_count{};
  int m_foreign_at_api = 0;
  TimeMs m_promoted_to = 0;  // the `now` of the last promote(): a job due by then is ready
};

}  // namespace reelq
