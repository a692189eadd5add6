#pragma once
// The runner reports through this interface and prints nothing itself: the terminal progress line,
// the plain log and the JSON log are observers (src/cli/progress.h); tests record.
#include <string>

#include "util/clock.h"

namespace reelq {

enum class LogLevel { info, warn, error };

struct Progress {
  int succeeded = 0;
  int failed = 0;
  int running = 0;  // at the API (submitting included)
  int downloading = 0;
  int queued = 0;
  int requests_in_window = 0;
  int request_budget = 0;
  TimeMs eta_ms = -1;  // -1 = unknown yet
};

class RunObserver {
 public:
  virtual ~RunObserver() = default;
  virtual void log(LogLevel level, const std::string& message) = 0;
  virtual void progress(const Progress& p) = 0;  // called often; throttle in the observer
};

}  // namespace reelq
