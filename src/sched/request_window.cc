#include "sched/request_window.h"

#include <algorithm>
#include <iterator>
#include <limits>

#include "api/dispatch.h"

namespace reelq {

RequestWindow::RequestWindow(int cap, TimeMs window)
    : m_cap(std::max(1, cap)), m_effective(m_cap), m_window(window), m_margin(std::max<TimeMs>(2, window / 100)) {}

SendId RequestWindow::send(TimeMs now) {
  forget_before(now);
  if (used(now) >= effective_cap()) {
    return k_no_room;
  }
  SendId id = ++m_last_id;
  m_in_flight.emplace(id, now);
  m_last_send = m_any_sent ? std::max(m_last_send, now) : now;
  m_any_sent = true;
  ++m_counts.sent;
  return id;
}

void RequestWindow::answered(SendId id, TimeMs now) {
  auto it = m_in_flight.find(id);
  if (it == m_in_flight.end()) {
    return;
  }
  // Never before its own send: a clock read out of order must not shorten its stay.
  m_frees_at.insert(std::max(now, it->second) + m_window + m_margin);
  m_in_flight.erase(it);
  ++m_counts.answered;
}

void RequestWindow::not_sent(SendId id) {
  if (m_in_flight.erase(id) > 0) {
    ++m_counts.not_sent;
  }
}

void RequestWindow::restore(const std::vector<TimeMs>& answered_at, TimeMs now, int possibly_on_the_wire) {
  for (TimeMs at : answered_at) {
    m_frees_at.insert(std::min(at, now) + m_window + m_margin);
  }
  for (int i = 0; i < possibly_on_the_wire; ++i) {
    m_frees_at.insert(now + m_window + m_margin);
  }
  forget_before(now);
}

int RequestWindow::used(TimeMs now) const {
  auto answered = std::distance(m_frees_at.upper_bound(now), m_frees_at.end());
  return in_flight() + static_cast<int>(answered);
}

TimeMs RequestWindow::room_at(TimeMs now, int places) const {
  int over = used(now) - places;  // places that must free before one more fits
  if (over < 0) {
    return now;
  }
  if (in_flight() >= places) {
    return k_never;  // answered ones freeing cannot make room: the ones out hold it all
  }
  // The answered places free in time order; the (over + 1)-th to free makes room.
  auto it = m_frees_at.upper_bound(now);
  std::advance(it, over);
  return *it;
}

TimeMs RequestWindow::next_allowed(TimeMs now) const {
  return room_at(now, effective_cap());
}

TimeMs RequestWindow::next_deferrable(TimeMs now, int reserve) const {
  TimeMs at = room_at(now, std::max(1, effective_cap() - std::max(0, reserve)));
  if (at != k_never && m_any_sent) {
    at = std::max(at, m_last_send + m_window / std::max(1, effective_cap()));
  }
  return at;
}

void RequestWindow::on_rate_limited() {
  m_effective = std::max(1.0, m_effective * 0.75);
}

void RequestWindow::on_accepted() {
  m_effective = std::min<double>(m_cap, m_effective + 0.1);
}

void RequestWindow::forget_before(TimeMs now) {
  m_frees_at.erase(m_frees_at.begin(), m_frees_at.upper_bound(now));
}

}  // namespace reelq
