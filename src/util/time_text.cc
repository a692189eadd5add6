#include "util/time_text.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <ctime>

namespace reelq {

std::string iso_utc(TimeMs at) {
  std::time_t t = static_cast<std::time_t>(at / 1000);
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(t));
}

std::string format_duration(TimeMs ms) {
  if (ms <= 0) {
    return "0s";  // "0ms of rendering" reads as a measurement; nothing has happened yet
  }
  if (ms < 1000) {
    return fmt::format("{}ms", ms);
  }
  if (ms < 10000) {
    // A window of 1.8 s read "1s" (a trial took it for a bug): tenths under ten seconds, cut not rounded.
    return ms % 1000 < 100 ? fmt::format("{}s", ms / 1000) : fmt::format("{}.{}s", ms / 1000, ms % 1000 / 100);
  }
  long long s = ms / 1000;
  if (s >= 3600) {
    return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
  }
  if (s >= 60) {
    return fmt::format("{}m{:02}s", s / 60, s % 60);
  }
  return fmt::format("{}s", s);
}

std::string format_age(TimeMs ms) {
  TimeMs s = ms / 1000;
  if (s < 60) {
    return fmt::format("{}s", s);
  }
  if (s < 3600) {
    return fmt::format("{}m", s / 60);
  }
  if (s < 86400) {
    return fmt::format("{}h{:02}m", s / 3600, s % 3600 / 60);
  }
  return fmt::format("{}d{:02}h", s / 86400, s % 86400 / 3600);
}

}  // namespace reelq
