// A run's downloads: a take whose result the API gave is handed to the downloader (fetch/), and
// what it finished is stored on a later turn, several in one transaction, before anything is said.
#include <fmt/format.h>

#include "fetch/collect.h"
#include "sched/runner.h"
#include "util/json_strings.h"
#include "util/text.h"

namespace reelq {

void Runner::start_download(size_t i) {
  const JobRow& j = m_jobs[i].row;
  DownloadTask t;
  t.row = j.id;
  t.job_id = j.job_id;
  t.take = j.take;
  t.urls = parse_json_string_array(j.result_urls);
  if (j.foreign()) {
    if (j.foreign_output_dir.empty()) {
      return;  // no folder recorded for it: left `downloading` for its batch's resume or `reelq download`
    }
    t.output_dir = j.foreign_output_dir;
  }
  if (auto done = m_store.files(j.id)) {
    t.done = std::move(done.value());
  }
  m_downloader.start(std::move(t));
}

// The downloads finished since the last turn, stored in one transaction as the turn's answers are;
// nothing is said of them before it commits.
void Runner::absorb_downloads() {
  std::vector<DownloadResult> finished = m_downloader.take_finished();
  if (finished.empty()) {
    return;
  }
  struct Recorded {
    size_t job;
    JobState state;
    const DownloadResult* result;
  };
  std::vector<Recorded> recorded;
  RunStore::TurnWrites turn(m_store);
  for (const DownloadResult& r : finished) {
    std::optional<size_t> i = m_jobs.by_row(r.row);
    if (!i) {
      continue;
    }
    auto state = record_download(m_store, r, m_jobs[*i].row.task_id, m_clock.now_ms());
    if (!state) {
      m_storage_failed = true;
      m_failure_message = state.error().message;
      return;
    }
    recorded.push_back({*i, *state, &r});
  }
  if (auto stored = turn.commit(); !stored) {
    m_storage_failed = true;
    m_failure_message = stored.error().message;
    return;
  }
  for (const Recorded& d : recorded) {
    m_jobs.change(d.job, [&](RunJob& j) { j.row.state = d.state; });
    say_download(d.job, *d.result);
  }
}

void Runner::say_download(size_t i, const DownloadResult& r) {
  const JobRow& row = m_jobs[i].row;
  for (const std::string& note : r.notes) {
    say(LogLevel::warn, "download_note", row, note);
  }
  if (r.failure == DownloadFailure::disk_full) {
    // Every further download would fail the same way: stop the run, keep the take, say why.
    say(LogLevel::error, "disk_full", row,
        fmt::format("download stopped, the disk is full: {}; the take stays downloading", r.error));
    if (!m_disk_full) {
      m_disk_full = true;
      m_failure_message = r.error;
    }
  } else if (r.ok) {
    say(LogLevel::info, "done", row,
        fmt::format("done ({})", count_of(static_cast<long long>(r.files.size()), "file")));
  } else {
    say(LogLevel::warn, "download_failed", row, fmt::format("download failed: {}", r.error),
        row.state == JobState::failed ? "DOWNLOAD_FAILED" : "");
  }
}

}  // namespace reelq
