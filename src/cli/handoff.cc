#include "cli/handoff.h"

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>

#include "cli/cli.h"
#include "cli/enqueue_notices.h"
#include "cli/invocation.h"
#include "cli/stop_signals.h"
#include "queue/handoff.h"
#include "util/run_lock.h"
#include "util/text.h"

namespace reelq {

Result<HandOff> add_to_running_night(const std::string& db_path, const Manifest& m, const std::string& manifest_path,
                                     EnqueueOptions options, const std::optional<std::string>& named_api,
                                     std::ostream& out, std::ostream& err) {
  const std::optional<long> pid = RunLock::holder(db_path);
  const std::string runner = pid ? fmt::format("reelq pid {}", *pid) : "another reelq";
  if (options.on_changed == OnChanged::replace) {
    return Error{ErrorKind::busy,
                 fmt::format("another reelq (pid {}) is running batches from {}; while it runs the queue only takes "
                             "new jobs: give --replace-changed once it has ended",
                             pid ? std::to_string(*pid) : "?", db_path)};
  }
  auto queue = open_queue(db_path);
  if (!queue) {
    return queue.error();
  }
  if (named_api) {
    auto theirs = runner_api(queue.value()->db());
    if (!theirs) {
      return theirs.error();
    }
    if (*theirs && (*theirs)->api_base != *named_api) {
      return Error{
          ErrorKind::usage,
          fmt::format("{} is running batches from {} at the API {}, and would drain batch {} there with its "
                      "own key; this run names {}. Nothing was added: wait for that run to end ({} status "
                      "--db {}), or give this batch a queue of its own with --db",
                      runner, db_path, (*theirs)->api_base, m.batch, *named_api, reelq_command(), shell_word(db_path))};
    }
  }
  options.on_changed = OnChanged::refuse;
  options.on_removed = OnRemoved::keep;  // rows under a runner are not cancelled by a manifest
  if (!pid) {
    return HandOff::runner_ending;  // the lock was let go meanwhile
  }
  options.precondition = [holder = *pid](SQLite::Database& db) { return runner_takes_added(db, holder); };
  auto report = queue.value()->enqueue(m, std::filesystem::absolute(manifest_path), options);
  if (!report) {
    if (report.error().kind == ErrorKind::busy) {
      return HandOff::runner_ending;
    }
    return report.error();
  }
  for (const auto& line : enqueue_notices(*report, notice_context(m, manifest_path, db_path, options.on_removed))) {
    err << "reelq: " << line << "\n";
  }
  if (report->added == 0) {
    fmt::print(out, "batch {}: nothing new to add ({} already in the queue); {} is running batches from {}\n", m.batch,
               report->unchanged, runner, db_path);
    return HandOff::added;
  }
  fmt::print(out,
             "batch {}: {} added to the queue {}, whose runner ({}) renders them in the same run, after what it "
             "is draining now, with its own keys and settings. Follow it with: {} status --db {}\n",
             m.batch, count_of(report->added, "take"), db_path, runner, reelq_command(), shell_word(db_path));
  return HandOff::added;
}

int drain_added(RunnerScope& runner, int worst, const std::function<int(const std::string&)>& drain_one,
                std::ostream& out) {
  Queue& queue = runner.m_queue;
  TimeMs since = runner.m_since;
  for (;;) {
    if (worst >= k_exit_unfinished || stop_requested()) {
      return worst;  // RunnerScope says what was added and left
    }
    const TimeMs look = system_clock().now_ms();
    auto added = take_added_or_close(queue.db(), since, false, runner.m_own);
    if (!added || added->empty()) {
      return worst;
    }
    since = look;
    for (const auto& batch : *added) {
      runner.own(batch);
      // Its enqueue named no API (a batch that was never run has none): it goes where this runner's
      // key goes, not to the default API (a resume's added batch went to production).
      if (auto st = adopt_runner_api(queue.db(), batch); !st) {
        return std::max(worst, report_error(runner.m_err, st.error()));
      }
      fmt::print(out, "batch {} was added to this queue while it ran: draining it now\n", batch);
      worst = std::max(worst, drain_one(batch));
      if (worst >= k_exit_unfinished || stop_requested()) {
        break;
      }
    }
  }
}

RunnerScope::~RunnerScope() {
  auto left = take_added_or_close(m_queue.db(), m_since, true, m_own);
  if (left && m_left_out) {
    m_left_out->insert(m_left_out->end(), left->begin(), left->end());
  }
  if (left && !left->empty()) {
    fmt::print(m_err, "reelq: batch{} {} added to this queue while it ran {} left for `{} resume`\n",
               left->size() == 1 ? "" : "es", fmt::join(*left, ", "), left->size() == 1 ? "was" : "were",
               reelq_command());
  }
}

}  // namespace reelq
