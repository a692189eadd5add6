#pragma once
// How a batch's results are fetched, from its settings: `run` and `reelq download` take the
// downloader's options from here, so a batch's max_attempts and max_download_mb hold for both.
#include "fetch/downloader.h"
#include "settings.h"

namespace reelq {

// Attempts per file, the size cap, the workers, the backoff and progress window scaled by the
// batch's time scale, and the hosts results may come from (host_rule_for the batch's API base;
// the system's resolver). The output folder is settings.output_dir.
DownloadOptions download_options(const Settings& settings);

}  // namespace reelq
