#include "listen/accept_gate.h"

#include <poll.h>

#include <vector>

namespace reelq {

namespace {

constexpr int k_tick_ms = 20;           // how often deadlines and a stop are looked at, at the least
constexpr int k_accepts_per_turn = 64;  // so the waiting are looked at in between, whatever the flood

}  // namespace

AcceptGate::AcceptGate(const Poco::Net::ServerSocket& socket, Options options, Ready ready)
    : m_socket(socket), m_options(options), m_ready(std::move(ready)) {}

AcceptGate::~AcceptGate() {
  stop();
}

void AcceptGate::start() {
  // accept(2) must never block the loop: a connection reset between poll and accept would.
  m_socket.setBlocking(false);
  m_thread = std::thread([this] { loop(); });
}

void AcceptGate::stop() {
  m_stopping = true;
  if (m_thread.joinable()) {
    m_thread.join();
  }
}

void AcceptGate::close_idle(Waiting& w) {
  try {
    w.socket.close();
  } catch (const Poco::Exception&) {
  }
  ++m_closed_idle;
}

int AcceptGate::accept_pending(std::chrono::steady_clock::time_point now) {
  for (int i = 0; i < k_accepts_per_turn; ++i) {
    Poco::Net::StreamSocket socket;
    try {
      socket = m_socket.acceptConnection();
      socket.setNoDelay(true);  // as Poco's TCPServer does: an answer leaves at once
    } catch (const Poco::Exception&) {
      return i;  // none left (EAGAIN), or one that failed on the way (reset, out of descriptors)
    }
    m_waiting.push_back({socket, now + m_options.first_bytes});
    if (m_waiting.size() > m_options.max_waiting) {
      close_idle(m_waiting.front());
      m_waiting.pop_front();
    }
  }
  return k_accepts_per_turn;
}

void AcceptGate::loop() {
  std::vector<pollfd> fds;
  while (!m_stopping) {
    fds.clear();
    fds.push_back({m_socket.impl()->sockfd(), POLLIN, 0});
    for (const Waiting& w : m_waiting) {
      fds.push_back({w.socket.impl()->sockfd(), POLLIN, 0});
    }
    if (::poll(fds.data(), fds.size(), k_tick_ms) < 0) {
      continue;  // EINTR; nothing else can go wrong with these arguments
    }
    auto now = std::chrono::steady_clock::now();
    // fds[i + 1] is m_waiting[i]: settle those first, as accepting adds to the end.
    std::deque<Waiting> still;
    for (size_t i = 0; i < m_waiting.size(); ++i) {
      Waiting& w = m_waiting[i];
      short got = fds[i + 1].revents;
      if (got & (POLLIN | POLLHUP)) {
        m_ready(w.socket);  // something to read, or its end: a worker answers or sees it go
      } else if ((got & (POLLERR | POLLNVAL)) || now >= w.until) {
        close_idle(w);
      } else {
        still.push_back(std::move(w));
      }
    }
    m_waiting.swap(still);
    if ((fds[0].revents & POLLIN) && accept_pending(now) == 0) {
      // Readable, yet nothing to accept: out of descriptors (EMFILE) keeps it so. A nap, not a spin.
      std::this_thread::sleep_for(std::chrono::milliseconds(k_tick_ms));
    }
  }
  for (Waiting& w : m_waiting) {
    close_idle(w);
  }
  m_waiting.clear();
}

}  // namespace reelq
