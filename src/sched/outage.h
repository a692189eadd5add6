#pragma once
// While the API cannot be reached (a request could not leave this machine: refused, DNS, connect
// timeout): the run pauses with a growing backoff, says so at once and about once a minute, and
// says when it is back. A request that never left costs the API nothing and is nobody's attempt.
#include <optional>
#include <string>

#include "sched/run_observer.h"
#include "util/backoff.h"

namespace reelq {

class Outage {
 public:
  // Times already scaled: the pause grows from `base` to `cap`; the outage is said every `note_every`.
  Outage(TimeMs base, TimeMs cap, TimeMs note_every, std::uint64_t seed)
      : m_backoff(base, cap, seed), m_note_every(note_every) {}

  bool down() const { return m_not_sent > 0; }
  // A request could not be sent at `now`: returns until when no request goes. `first` is set
  // when this starts an outage (to be said at once).
  TimeMs on_not_sent(const std::string& reason, TimeMs now, bool& first);
  // An answer came: the outage (if any) is over. Returns what to say of it (reachable again), or
  // nothing when there was none.
  std::optional<Reachability> on_answer(TimeMs now);
  // Whether it is time to say again that the API is away.
  bool note_due(TimeMs now);
  // What to say now; `running` and `queued` say what waits for the API.
  Reachability reachability(TimeMs now, int running, int queued) const;

 private:
  Backoff m_backoff;
  TimeMs m_note_every;
  int m_not_sent = 0;     // requests that could not leave this machine, in a row; 0 = reachable
  TimeMs m_since = 0;     // when the first of them failed
  TimeMs m_noted_at = 0;  // when it was last said
  std::string m_reason;
};

}  // namespace reelq
