#include "sched/outage.h"

namespace reelq {

TimeMs Outage::on_not_sent(const std::string& reason, TimeMs now, bool& first) {
  first = m_not_sent++ == 0;
  if (first) {
    m_since = now;
    m_noted_at = now;
  }
  m_reason = reason;
  return now + m_backoff.delay(m_not_sent);
}

std::optional<Reachability> Outage::on_answer(TimeMs now) {
  if (m_not_sent == 0) {
    return std::nullopt;
  }
  Reachability back = reachability(now, 0, 0);
  back.reachable = true;
  m_not_sent = 0;
  m_since = m_noted_at = 0;
  m_reason.clear();
  return back;
}

bool Outage::note_due(TimeMs now) {
  if (m_not_sent > 0 && now - m_noted_at >= m_note_every) {
    m_noted_at = now;
    return true;
  }
  return false;
}

Reachability Outage::reachability(TimeMs now, int running, int queued) const {
  Reachability r;
  r.down_for = m_not_sent > 0 ? now - m_since : 0;
  r.reason = m_reason;
  r.requests_not_sent = m_not_sent;
  r.running = running;
  r.queued = queued;
  return r;
}

}  // namespace reelq
