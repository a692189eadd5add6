#pragma once
// What `reelq run` shows while it works: one progress line redrawn in place on a terminal;
// timestamped log lines otherwise; JSON lines with --log-json; only problems with --quiet.
#include <iosfwd>
#include <mutex>

#include "sched/run_observer.h"
#include "util/time_text.h"

namespace reelq {

enum class OutputStyle { terminal, plain, json, quiet };

class ConsoleObserver final : public RunObserver {
 public:
  ConsoleObserver(std::ostream& out, OutputStyle style, Clock& clock) : m_out(out), m_style(style), m_clock(clock) {}
  ~ConsoleObserver() override { finish(); }

  void log(LogLevel level, const std::string& message) override;
  // --log-json: every field of the event, for jq; otherwise the message, as log() shows it.
  void event(const RunEvent& e) override;
  void progress(const Progress& p) override;
  void in_flight(const std::string& what) override;
  // Ends the live line so what follows starts on a fresh one.
  void finish();
  // For a stop that cannot wait any longer (another thread): says what is left in flight (the
  // request on the wire, downloads), then `then` (the resume line). Does not wait for a lock the
  // stuck thread might hold.
  void cut_short(int downloads, const std::string& then);

 private:
  std::string timestamp();
  void clear_line();

  std::ostream& m_out;
  OutputStyle m_style;
  Clock& m_clock;
  std::mutex m_mutex;
  bool m_line_shown = false;
  TimeMs m_last_plain_progress = -30000;  // on the monotonic clock: the first line is shown at once
  std::string m_last_line;
  std::string m_in_flight;
};

}  // namespace reelq
