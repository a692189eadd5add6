#include "fetch/collect.h"

#include <fmt/format.h>

#include <map>

namespace reelq {

Result<JobState> record_download(RunStore& store, const DownloadResult& r, const std::string& task_id, TimeMs now) {
  for (const FileRecord& f : r.files) {
    if (auto st = store.record_file(r.row, f, r.ok ? "" : r.error); !st) {
      return st.error();
    }
  }
  std::string message = r.ok ? "" : r.error;
  for (const std::string& note : r.notes) {
    message += (message.empty() ? "" : "; ") + note;
  }
  if (r.failure == DownloadFailure::disk_full) {
    // Nothing is wrong with the result: the take stays `downloading`, and the next run fetches it.
    EventRecord e{"download", r.http_status, std::nullopt, message, task_id, "disk_full"};
    if (auto st = store.update(r.row, JobUpdate{}, &e); !st) {
      return st.error();
    }
    return JobState::downloading;
  }
  EventRecord e{"download", r.http_status, std::nullopt, message, task_id, r.ok ? "ok" : "failed"};
  JobUpdate u;
  u.completed_at = now;
  if (r.ok) {
    u.state = JobState::succeeded;
    u.clear_failure = true;
  } else {
    u.state = JobState::failed;
    u.fail_code = "DOWNLOAD_FAILED";
    // Waiting does not change where a URL points: say so, rather than suggest trying again.
    u.fail_msg = r.failure == DownloadFailure::refused
                     ? fmt::format("{} (reelq fetches results only from public hosts while the API base is not on "
                                   "this machine or a private network; `reelq download` refuses it again)",
                                   r.error)
                     : fmt::format("{} (`reelq download` tries again while the URL is valid)", r.error);
  }
  if (auto st = store.update(r.row, u, &e); !st) {
    return st.error();
  }
  return *u.state;
}

Result<CollectOutcome> collect_missing(RunStore& store, Downloader& downloader, Clock& clock,
                                       const std::vector<MissingResult>& missing,
                                       const std::function<void(const std::string&)>& log) {
  std::map<std::int64_t, const MissingResult*> by_row;
  for (const MissingResult& m : missing) {
    by_row[m.row] = &m;
    DownloadTask t;
    t.row = m.row;
    t.job_id = m.job_id;
    t.take = m.take;
    t.urls = m.urls;
    t.done = m.files;  // the downloader keeps only those still on disk
    downloader.start(std::move(t));
  }
  CollectOutcome out;
  while (true) {
    for (const DownloadResult& r : downloader.take_finished()) {
      const MissingResult& m = *by_row.at(r.row);
      auto state = record_download(store, r, m.task_id, clock.now_ms());
      if (!state) {
        return state.error();
      }
      std::string name = m.takes > 1 ? fmt::format("{} take {}", m.job_id, m.take) : m.job_id;
      for (const std::string& note : r.notes) {
        log(fmt::format("{}: {}", name, note));
      }
      if (r.ok) {
        ++out.fetched;
        log(fmt::format("{}: on disk ({} file{})", name, r.files.size(), r.files.size() == 1 ? "" : "s"));
      } else {
        ++out.failed;
        log(fmt::format("{}: download failed: {}", name, r.error));
      }
    }
    if (downloader.in_flight() == 0) {
      return out;
    }
    clock.sleep_ms(20);
  }
}

}  // namespace reelq
