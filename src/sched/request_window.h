#pragma once
// The request budget when requests are in flight at once: at most `cap` requests in any rolling
// window, as the server counts them, whatever the latencies.
//
// A request counts from the moment it is sent. The server counts it when it arrives, at some
// moment between its send and its answer, so it holds a place in the budget from its send until a
// window (plus a margin) after its answer, and, while no answer has come, whatever the time. Then
// the server never sees more than `cap` in one window: were cap + 1 arrivals in one window, the
// last of them to be sent was sent before that window ended, when each of the other cap had been
// sent and had not been answered a window earlier, so each held its place and that send had no room.
// In particular no rolling window of send times holds more than `cap` sends.
//
// A request whose answer proves it never left (unreachable, sent = false) gives its place back.
// This replaces RateLimiter (which counted a request at its answer, right only one at a time).
#include <cstdint>
#include <map>
#include <set>
#include <vector>

#include "util/clock.h"

namespace reelq {

// A place in the budget held by one request, from send() to answered() or not_sent().
using SendId = std::uint64_t;
inline constexpr SendId k_no_room = 0;  // send() when the window is full: nothing was counted

struct RequestCounts {
  int sent = 0;      // places taken by send()
  int answered = 0;  // settled by an answer (429s included: the server counted them)
  int not_sent = 0;  // given back: the request never left the machine
};

class RequestWindow {
 public:
  RequestWindow(int cap, TimeMs window);

  // A request leaves now: takes a place for it, or k_no_room (nothing counted: do not send it)
  // when `effective_cap()` places are held.
  SendId send(TimeMs now);
  // Its answer came at `now` (any answer that left the machine, a 429 too): it keeps its place
  // until a window after now. Unknown or settled ids are ignored.
  void answered(SendId id, TimeMs now);
  // It never left (unreachable, or a dispatch's not_sent at a stop): its place is free at once.
  void not_sent(SendId id);
  // At start-up: the requests an earlier run recorded (answered at those times; one stamped
  // later than `now` by a clock that was ahead counts as now), and `possibly_on_the_wire` more
  // that it may have had out when it ended (the most it ever had in flight), taken as answered
  // now: nothing says they have arrived yet.
  void restore(const std::vector<TimeMs>& answered_at, TimeMs now, int possibly_on_the_wire);

  // The earliest time send() will find room (`now` when it does now); k_never (api/dispatch.h's
  // value) when requests in flight hold every place: only an answer frees one.
  TimeMs next_allowed(TimeMs now) const;
  // The earliest time a request that can wait (a status poll) may go: it leaves `reserve` places
  // to those that cannot (submits), and comes at least window/cap after the previous send, so the
  // budget is spread over the window rather than spent in a burst that comes back a window later.
  TimeMs next_deferrable(TimeMs now, int reserve) const;

  // After a 429 for the rate the effective cap drops by a quarter (at least 1); each accepted
  // request wins a little back, up to the configured cap.
  void on_rate_limited();
  void on_accepted();

  int cap() const { return m_cap; }
  int effective_cap() const { return static_cast<int>(m_effective); }
  TimeMs window() const { return m_window; }
  int used(TimeMs now) const;  // places held at `now`: in flight, and answered less than a window ago
  int in_flight() const { return static_cast<int>(m_in_flight.size()); }
  const RequestCounts& counts() const { return m_counts; }

 private:
  // When room for `places` requests opens, counting from `now`.
  TimeMs room_at(TimeMs now, int places) const;
  void forget_before(TimeMs now);

  int m_cap;
  double m_effective;
  TimeMs m_window;
  TimeMs m_margin;  // slack for clock granularity between us and the server
  SendId m_last_id = k_no_room;
  std::map<SendId, TimeMs> m_in_flight;  // id -> sent at
  std::multiset<TimeMs> m_frees_at;      // answered: when each gives its place back
  TimeMs m_last_send = 0;
  bool m_any_sent = false;
  RequestCounts m_counts;
};

}  // namespace reelq
