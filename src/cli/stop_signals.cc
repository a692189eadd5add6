#include "cli/stop_signals.h"

#include <unistd.h>

#include <chrono>
#include <csignal>
#include <mutex>

#include "cli/cli.h"
#include "cli/progress.h"
#include "fetch/downloader.h"

namespace reelq {

namespace {

std::atomic<int> g_stop_requests{0};

// What the watchdog says when it must cut a stop short: the batch being drained registers it.
struct StopNote {
  std::mutex mutex;
  ConsoleObserver* observer = nullptr;  // knows the request on the wire
  const Downloader* downloader = nullptr;
  std::string resume;  // "Continue with: reelq resume ..."
  std::ostream* out = nullptr;
};
StopNote g_stop_note;

// Both are safe: every state change is already committed when the process leaves.
void on_stop_signal(int) {
  if (g_stop_requests.fetch_add(1) >= 1) {
    ::_exit(k_exit_unfinished);
  }
}

// Runs on the watchdog's thread while the stuck one may hold the note: it does not wait for it.
void say_what_is_left() {
  std::unique_lock lock(g_stop_note.mutex, std::try_to_lock);
  if (!lock.owns_lock() || !g_stop_note.out) {
    return;
  }
  int downloads = g_stop_note.downloader ? static_cast<int>(g_stop_note.downloader->in_flight()) : 0;
  if (g_stop_note.observer) {
    g_stop_note.observer->cut_short(downloads, g_stop_note.resume);
  } else {
    *g_stop_note.out << "\nstop took over 2 s; exiting\n" << g_stop_note.resume << "\n" << std::flush;
  }
}

}  // namespace

const std::atomic<int>& stop_requests() {
  return g_stop_requests;
}

void install_signal_handlers() {
  struct sigaction sa = {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  // A dropped SSH session: wind down like SIGTERM, unless started under nohup, which asked for
  // the run to outlive its terminal.
  struct sigaction hup = {};
  if (sigaction(SIGHUP, nullptr, &hup) == 0 && hup.sa_handler != SIG_IGN) {
    sigaction(SIGHUP, &sa, nullptr);
  }
  // The same drop kills a `| tee` reader; a write to its pipe must not kill the run mid-way.
  struct sigaction ignore = {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  sigaction(SIGPIPE, &ignore, nullptr);
}

StopNoteScope::StopNoteScope(std::string resume, std::ostream& out) {
  std::lock_guard lock(g_stop_note.mutex);
  g_stop_note.resume = std::move(resume);
  g_stop_note.out = &out;
}

StopNoteScope::~StopNoteScope() {
  std::lock_guard lock(g_stop_note.mutex);
  g_stop_note.out = nullptr;
}

StopNoteWatch::StopNoteWatch(ConsoleObserver& observer, const Downloader& downloader) {
  std::lock_guard lock(g_stop_note.mutex);
  g_stop_note.observer = &observer;
  g_stop_note.downloader = &downloader;
}

StopNoteWatch::~StopNoteWatch() {
  std::lock_guard lock(g_stop_note.mutex);
  g_stop_note.observer = nullptr;
  g_stop_note.downloader = nullptr;
}

Wakeup& run_wakeup() {
  static ThreadWakeup wakeup;
  return wakeup;
}

// The process's watchdog also wakes the run loop, so a stop is acted on at once, not at its next
// look at the clock.
StopWatchdog::StopWatchdog(std::function<void()> on_stop)
    : StopWatchdog(
          g_stop_requests,
          [on_stop = std::move(on_stop)] {
            run_wakeup().notify();
            if (on_stop) {
              on_stop();
            }
          },
          std::chrono::seconds(2)) {}

StopWatchdog::StopWatchdog(const std::atomic<int>& stops, std::function<void()> on_stop,
                           std::chrono::milliseconds grace)
    : m_stops(stops), m_on_stop(std::move(on_stop)), m_grace(grace), m_thread([this] { watch(); }) {}

StopWatchdog::~StopWatchdog() {
  m_done = true;
  m_thread.join();
}

void StopWatchdog::watch() {
  while (!m_done && m_stops.load() == 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (m_done) {
    return;
  }
  if (m_on_stop) {
    m_on_stop();
  }
  // A deadline rather than a count of naps: 90 naps of 20 ms said "over 2 s" after 1.8 s.
  auto deadline = std::chrono::steady_clock::now() + m_grace;
  while (!m_done && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!m_done) {
    say_what_is_left();
    ::_exit(k_exit_unfinished);
  }
}

}  // namespace reelq
