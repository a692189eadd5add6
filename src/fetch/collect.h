#pragma once
// Results that are paid for but not on disk, fetched outside a run (`reelq download`), and the one
// way a finished download is recorded, shared with the runner.
#include <functional>
#include <string>
#include <vector>

#include "fetch/downloader.h"
#include "queue/operations.h"
#include "queue/run_store.h"

namespace reelq {

// Records a finished download: every file's record, then the take's state (`succeeded`, or
// `failed` with DOWNLOAD_FAILED) as of `now`, with a `download` event.
Result<JobState> record_download(RunStore& store, const DownloadResult& result, const std::string& task_id, TimeMs now);

struct CollectOutcome {
  int fetched = 0;
  int failed = 0;
};

// Downloads `missing` (all of one output folder, the downloader's) and records each outcome.
// `log` hears one line per take.
Result<CollectOutcome> collect_missing(RunStore& store, Downloader& downloader, Clock& clock,
                                       const std::vector<MissingResult>& missing,
                                       const std::function<void(const std::string&)>& log);

}  // namespace reelq
