#pragma once
// The runner reports through this interface and prints nothing itself: the terminal progress line,
// the plain log and the JSON log are observers (src/cli/progress.h); tests record.
#include <string>

#include "util/clock.h"
#include "util/time_text.h"

namespace reelq {

enum class LogLevel { info, warn, error };

struct Progress {
  int succeeded = 0;
  int failed = 0;
  int running = 0;  // at the API (submitting included)
  int downloading = 0;
  int queued = 0;
  int overdue = 0;  // of `running`: past the time by which 90% of renders like them end
  int requests_in_window = 0;
  int request_budget = 0;
  TimeMs eta_ms = -1;  // -1 = unknown yet
  bool queued_held = false;  // the spend cap stops submitting: `queued` waits for a resume, not in the ETA
};

// The API cannot be reached (a request could not leave this machine: refused, DNS, connect
// timeout), still cannot, or answers again. The run is paused meanwhile; no job is charged.
struct Reachability {
  bool reachable = false;
  TimeMs down_for = 0;  // since the first request that could not be sent
  std::string reason;   // the transport's, e.g. "Connection refused: 127.0.0.1:8080"
  int running = 0;      // tasks at the API, polled again once it answers
  int queued = 0;       // jobs waiting to be submitted
  int requests_not_sent = 0;
};

// One line for people: "API unreachable for 1m30s (Connection refused); still polling".
inline std::string describe(const Reachability& r) {
  if (r.reachable) {
    return "API reachable again after " + format_duration(r.down_for) + " (" + std::to_string(r.requests_not_sent) +
           " requests could not be sent; no job was charged an attempt)";
  }
  std::string head = r.down_for > 0 ? "API unreachable for " + format_duration(r.down_for) : "API unreachable";
  std::string tail = r.running > 0  ? "still polling"
                     : r.queued > 0 ? "submitting resumes when it answers"
                                    : "trying again";
  return head + " (" + r.reason + "); " + tail;
}

// Something that happened to one take, for people (`message`) and for machines (--log-json: the
// other fields, so `jq` can follow a night).
struct RunEvent {
  LogLevel level = LogLevel::info;
  std::string event;  // submitted, done, failed, failed_at_submit, submit_retry, unknown_state, ...
  std::string job;
  int take = 0;
  std::string task_id;
  std::string fail_code;
  std::string message;  // the same line the plain log shows
};

class RunObserver {
 public:
  virtual ~RunObserver() = default;
  virtual void log(LogLevel level, const std::string& message) = 0;
  virtual void progress(const Progress& p) = 0;  // called often; throttle in the observer
  // A take's event; by default its message is logged like any other line.
  virtual void event(const RunEvent& e) { log(e.level, e.message); }
  // Said when the API goes away, about once a minute while it stays away, and when it is back.
  virtual void reachability(const Reachability& r) { log(r.reachable ? LogLevel::info : LogLevel::warn, describe(r)); }
  // The API request on the wire right now ("" once it is answered), e.g. "the submit of shot-03":
  // what a stop that cannot wait for it leaves in doubt.
  virtual void in_flight(const std::string& /*what*/) {}
};

}  // namespace reelq
