#include "listen/inbox.h"

#include <fmt/format.h>

#include <chrono>

namespace reelq {

bool BoundedInbox::push_hint(const std::string& task_id) {
  {
    std::lock_guard lock(m_mutex);
    if (m_hint_set.contains(task_id)) {
      return true;  // a duplicate delivery: one hint is as good as two
    }
    if (m_hints.size() >= k_max_hints) {
      return false;
    }
    m_hint_set.insert(task_id);
    m_hints.push_back(task_id);
  }
  m_arrived.notify_one();
  if (Wakeup* w = m_wakeup.load()) {
    w->notify();
  }
  return true;
}

void BoundedInbox::push_note(std::string line) {
  std::lock_guard lock(m_mutex);
  if (m_notes.size() >= k_max_notes) {
    ++m_notes_dropped;
    return;
  }
  m_notes.push_back(std::move(line));
}

InboxItems BoundedInbox::take() {
  std::lock_guard lock(m_mutex);
  InboxItems out;
  out.hints.swap(m_hints);
  m_hint_set.clear();
  out.notes.swap(m_notes);
  if (m_notes_dropped > 0) {
    out.notes.push_back(fmt::format("listener: {} more refused requests not shown", m_notes_dropped));
    m_notes_dropped = 0;
  }
  return out;
}

void BoundedInbox::wait_ms(TimeMs ms) {
  std::unique_lock lock(m_mutex);
  m_arrived.wait_for(lock, std::chrono::milliseconds(ms), [this] { return !m_hints.empty(); });
}

}  // namespace reelq
