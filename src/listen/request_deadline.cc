#include "listen/request_deadline.h"

#include <sys/socket.h>

namespace reelq {

namespace {

// shutdown(2), not close: the descriptor stays valid for the worker blocked on it, whose read
// then returns at once (for TLS too: the record layer sees the end of the stream).
void shut_down(const Poco::Net::StreamSocket& socket) {
  ::shutdown(socket.impl()->sockfd(), SHUT_RDWR);
}

}  // namespace

RequestDeadlines::RequestDeadlines(std::chrono::milliseconds deadline)
    : m_deadline(deadline), m_thread([this] { loop(); }) {}

RequestDeadlines::~RequestDeadlines() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_cv.notify_all();
  m_thread.join();
}

std::uint64_t RequestDeadlines::watch(const Poco::Net::StreamSocket& socket) {
  std::lock_guard lock(m_mutex);
  std::uint64_t ticket = m_next++;
  m_watched.emplace(ticket, Watched{std::chrono::steady_clock::now() + m_deadline, socket});
  return ticket;
}

void RequestDeadlines::release(std::uint64_t ticket) {
  std::lock_guard lock(m_mutex);
  m_watched.erase(ticket);
}

void RequestDeadlines::shut_all() {
  std::lock_guard lock(m_mutex);
  for (const auto& [ticket, w] : m_watched) {
    shut_down(w.socket);
  }
}

void RequestDeadlines::loop() {
  std::unique_lock lock(m_mutex);
  while (!m_stopping) {
    // Checked every 20 ms: a deadline is met to within that, which is plenty for seconds.
    m_cv.wait_for(lock, std::chrono::milliseconds(20));
    auto now = std::chrono::steady_clock::now();
    for (auto it = m_watched.begin(); it != m_watched.end();) {
      if (it->second.until <= now) {
        shut_down(it->second.socket);
        it = m_watched.erase(it);
      } else {
        ++it;
      }
    }
  }
}

}  // namespace reelq
