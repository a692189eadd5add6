#pragma once
// Ctrl-C and its kin for `reelq run`/`resume`/`run --rehearse`: the first SIGINT, SIGTERM or SIGHUP
// asks the run to wind down, the second leaves at once, and a watchdog keeps the promise that a
// stop ends within 2 s even when a transfer or an answer is slow to come back.
#include <atomic>
#include <chrono>
#include <functional>
#include <ostream>
#include <string>
#include <thread>

#include "util/wakeup.h"

namespace reelq {

class ConsoleObserver;
class Downloader;

// How many stops were asked for since the process started (the runner winds down on the first).
const std::atomic<int>& stop_requests();
inline bool stop_requested() {
  return stop_requests().load() > 0;
}

// First SIGINT/SIGTERM (and SIGHUP, unless started under nohup): a stop is asked for. Second: the
// process exits at once (k_exit_unfinished). SIGPIPE is ignored: a dropped `| tee` must not kill
// the run mid-way.
void install_signal_handlers();

// Registers what the watchdog says when it must cut a stop short: `resume` ("Continue with: ...")
// written to `out`, for as long as the scope lives. The innermost scope wins.
class StopNoteScope {
 public:
  StopNoteScope(std::string resume, std::ostream& out);
  ~StopNoteScope();
  StopNoteScope(const StopNoteScope&) = delete;
  StopNoteScope& operator=(const StopNoteScope&) = delete;
};

// Lends the note the run's observer (it knows the request on the wire) and downloader (what is
// still downloading). Declare it after both, so that it lets go first.
class StopNoteWatch {
 public:
  StopNoteWatch(ConsoleObserver& observer, const Downloader& downloader);
  ~StopNoteWatch();
  StopNoteWatch(const StopNoteWatch&) = delete;
  StopNoteWatch& operator=(const StopNoteWatch&) = delete;
};

// Watches for the first stop; `on_stop` (if any) is called once then, from the watchdog's thread,
// so that a loop asleep until its next event can be woken. Two seconds after the stop, if this
// object still lives, it says what is left (the note) and exits the process (k_exit_unfinished).
// What the run loop sleeps on in `reelq run`: the API workers, the listener and the downloader
// notify it when something arrives, and the process's watchdog when a stop is asked for (a signal
// handler cannot: it may not take a lock).
Wakeup& run_wakeup();

class StopWatchdog {
 public:
  explicit StopWatchdog(std::function<void()> on_stop = {});
  // Watches `stops` instead of the process's, and waits `grace` instead of 2 s (tests).
  StopWatchdog(const std::atomic<int>& stops, std::function<void()> on_stop, std::chrono::milliseconds grace);
  ~StopWatchdog();
  StopWatchdog(const StopWatchdog&) = delete;
  StopWatchdog& operator=(const StopWatchdog&) = delete;

 private:
  void watch();

  const std::atomic<int>& m_stops;
  std::function<void()> m_on_stop;
  std::chrono::milliseconds m_grace;
  std::atomic<bool> m_done{false};
  std::thread m_thread;  // last: it starts once the members above are ready
};

}  // namespace reelq
