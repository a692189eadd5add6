#include "cli/progress.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <ctime>
#include <ostream>

#include "util/text.h"

namespace reelq {

std::string ConsoleObserver::timestamp() {
  std::time_t t = static_cast<std::time_t>(m_clock.now_ms() / 1000);
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(t));
}

void ConsoleObserver::clear_line() {
  if (m_line_shown) {
    m_out << "\r\033[K";
    m_line_shown = false;
  }
}

void ConsoleObserver::log(LogLevel level, const std::string& message) {
  std::lock_guard lock(m_mutex);
  const char* name = level == LogLevel::error ? "error" : level == LogLevel::warn ? "warn" : "info";
  switch (m_style) {
    case OutputStyle::quiet:
      if (level != LogLevel::info) {
        m_out << name << ": " << message << "\n";
      }
      break;
    case OutputStyle::json:
      // A line about the run, not one take: the same fields, so every line reads alike.
      m_out << fmt::format(
                   R"({{"at":"{}","level":"{}","event":"log","job":null,"take":null,"task_id":null,"fail_code":null,)"
                   R"("message":{}}})",
                   timestamp(), name, json_quote(message))
            << "\n";
      break;
    case OutputStyle::plain:
      m_out << timestamp() << " " << name << " " << message << "\n";
      break;
    case OutputStyle::terminal:
      clear_line();
      m_out << timestamp() << " " << message << "\n";
      if (!m_last_line.empty()) {
        m_out << m_last_line << std::flush;
        m_line_shown = true;
      }
      break;
  }
  m_out.flush();
}

namespace {

const char* level_name(LogLevel level) {
  return level == LogLevel::error ? "error" : level == LogLevel::warn ? "warn" : "info";
}

std::string or_null(const std::string& s) {
  return s.empty() ? "null" : json_quote(s);
}

}  // namespace

void ConsoleObserver::event(const RunEvent& e) {
  if (m_style != OutputStyle::json) {
    log(e.level, e.message);
    return;
  }
  std::lock_guard lock(m_mutex);
  m_out << fmt::format(
               R"({{"at":"{}","level":"{}","event":{},"job":{},"take":{},"task_id":{},"fail_code":{},"message":{}}})",
               timestamp(), level_name(e.level), json_quote(e.event), or_null(e.job),
               e.take > 0 ? std::to_string(e.take) : "null", or_null(e.task_id), or_null(e.fail_code),
               json_quote(e.message))
        << "\n";
  m_out.flush();
}

void ConsoleObserver::in_flight(const std::string& what) {
  std::lock_guard lock(m_mutex);
  m_in_flight = what;
}

void ConsoleObserver::cut_short(int downloads, const std::string& then) {
  std::unique_lock lock(m_mutex, std::try_to_lock);
  std::string left;
  if (!m_in_flight.empty()) {
    left = m_in_flight + " (no answer yet; resume sorts it out)";
  }
  if (downloads > 0) {
    left += fmt::format("{}{} download{} (resume fetches again)", left.empty() ? "" : "; ", downloads,
                        downloads == 1 ? "" : "s");
  }
  clear_line();
  m_out << "\nstop took over 2 s; exiting with " << (left.empty() ? "nothing in flight" : "in flight: " + left) << "\n"
        << then << "\n"
        << std::flush;
}

void ConsoleObserver::progress(const Progress& p) {
  std::lock_guard lock(m_mutex);
  std::string eta = p.eta_ms < 0 ? "?" : format_duration(p.eta_ms);
  if (p.eta_ms >= 60000) {
    // As GNU parallel's --eta does: when, on the clock, not only how long (UTC, as the log lines).
    std::time_t at = static_cast<std::time_t>((m_clock.now_ms() + p.eta_ms) / 1000);
    eta += fmt::format(" (done about {:%H:%M}Z)", fmt::gmtime(at));
  }
  std::string running = p.overdue > 0 ? fmt::format("{} running ({} overdue)", p.running, p.overdue)
                                      : fmt::format("{} running", p.running);
  std::string line =
      fmt::format("{} done, {} failed, {}, {} downloading, {} queued{} | budget {}/{} | ETA {}", p.succeeded, p.failed,
                  running, p.downloading, p.queued, p.queued_held && p.queued > 0 ? " (held by max_spend)" : "",
                  p.requests_in_window, p.request_budget, eta);
  if (m_style == OutputStyle::terminal) {
    clear_line();
    m_last_line = line;
    m_out << line << std::flush;
    m_line_shown = true;
  } else if (m_style == OutputStyle::plain || m_style == OutputStyle::json) {
    // Off a terminal, a progress line every 30 s is plenty for a log file.
    TimeMs now = m_clock.steady_ms();  // an interval: a step of the wall clock must not silence it
    if (now - m_last_plain_progress >= 30000) {
      m_last_plain_progress = now;
      if (m_style == OutputStyle::json) {
        m_out
            << fmt::format(
                   R"({{"at":"{}","level":"info","event":"progress","succeeded":{},"failed":{},"running":{},"downloading":{},"queued":{},"requests_in_window":{},"eta_ms":{}}})",
                   timestamp(), p.succeeded, p.failed, p.running, p.downloading, p.queued, p.requests_in_window,
                   p.eta_ms)
            << "\n";
      } else {
        m_out << timestamp() << " progress " << line << "\n";
      }
      m_out.flush();
    }
  }
}

void ConsoleObserver::finish() {
  std::lock_guard lock(m_mutex);
  if (m_line_shown) {
    m_out << "\n";
    m_line_shown = false;
  }
  m_last_line.clear();
}

}  // namespace reelq
