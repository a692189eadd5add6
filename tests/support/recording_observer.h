#pragma once
#include <functional>
#include <string>
#include <vector>

#include "sched/run_observer.h"

namespace reelq::test {

// Keeps every log line; runs `on_progress` (if set) on each progress report.
class RecordingObserver final : public RunObserver {
 public:
  void log(LogLevel, const std::string& message) override { lines.push_back(message); }
  void progress(const Progress& p) override {
    last = p;
    if (on_progress) {
      on_progress(p);
    }
  }
  bool saw(const std::string& fragment) const {
    for (const auto& l : lines) {
      if (l.find(fragment) != std::string::npos) {
        return true;
      }
    }
    return false;
  }
  std::vector<std::string> lines;
  Progress last;
  std::function<void(const Progress&)> on_progress;
};

}  // namespace reelq::test
