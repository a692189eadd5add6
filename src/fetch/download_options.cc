#include "fetch/download_options.h"

namespace reelq {

namespace {

TimeMs scaled(TimeMs ms, double time_scale) {
  return static_cast<TimeMs>(static_cast<double>(ms) * time_scale);
}

}  // namespace

DownloadOptions download_options(const Settings& settings) {
  DownloadOptions o;
  o.output_dir = settings.output_dir;
  o.workers = settings.download_concurrency;
  o.max_attempts = settings.max_attempts;
  o.backoff_base = scaled(1000, settings.time_scale);
  o.backoff_cap = scaled(60000, settings.time_scale);
  o.max_bytes = std::int64_t{settings.max_download_mb} << 20;
  o.progress.window = scaled(o.progress.window, settings.time_scale);
  // Results come from public hosts unless the API itself is on this machine or its network.
  o.host_rule = host_rule_for(settings.api_base);
  return o;
}

}  // namespace reelq
