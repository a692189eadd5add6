#include "api/worker_dispatch.h"

#include <algorithm>
#include <chrono>

namespace reelq {

namespace {
constexpr TimeMs k_longest_grace_ms = 3600 * 1000;
}  // namespace

WorkerDispatch::WorkerDispatch(ApiClient& client, int workers, Wakeup& wakeup)
    : WorkerDispatch(ApiClients{&client}, workers, wakeup) {}

WorkerDispatch::WorkerDispatch(ApiClients clients, int workers, Wakeup& wakeup)
    : m_clients(std::move(clients)), m_wakeup(wakeup) {
  for (int i = 0; i < std::max(1, workers); ++i) {
    m_workers.emplace_back([this] { work(); });
  }
}

WorkerDispatch::~WorkerDispatch() {
  shutdown(0);
}

Ticket WorkerDispatch::send(ApiRequest request) {
  Ticket t = 0;
  bool stopping = false;
  {
    std::lock_guard lock(m_mutex);
    t = ++m_last;
    stopping = m_stopping;
    if (stopping) {
      m_inbox.push_back(never_sent(t, std::move(request), "not sent: the run is stopping"));
    } else {
      m_queue.push_back({t, std::move(request)});
    }
  }
  if (stopping) {
    m_wakeup.notify();  // its answer is waiting already
  } else {
    m_work.notify_one();
  }
  return t;
}

std::vector<ApiReply> WorkerDispatch::take() {
  std::lock_guard lock(m_mutex);
  std::vector<ApiReply> out;
  out.swap(m_inbox);
  return out;
}

std::size_t WorkerDispatch::in_flight() const {
  std::lock_guard lock(m_mutex);
  return m_queue.size() + m_active.size() + m_inbox.size();
}

TimeMs WorkerDispatch::next_answer_at() const {
  std::lock_guard lock(m_mutex);
  return m_inbox.empty() ? k_never : k_answers_waiting;
}

void WorkerDispatch::work() {
  for (;;) {
    Unanswered next;
    {
      std::unique_lock lock(m_mutex);
      m_work.wait(lock, [this] { return m_stopping || !m_queue.empty(); });
      if (m_queue.empty()) {
        return;  // stopping: shutdown() has taken whatever no worker had started
      }
      next = std::move(m_queue.front());
      m_queue.pop_front();
      m_active.emplace(next.ticket, next.request);
    }
    ApiReply reply = call_api(m_clients, next.ticket, std::move(next.request));
    {
      std::lock_guard lock(m_mutex);
      m_active.erase(reply.ticket);
      // A call reported on_the_wire has had its say: its late answer would be a second one.
      if (m_cut.erase(reply.ticket) == 0) {
        m_inbox.push_back(std::move(reply));
      }
    }
    m_idle.notify_all();
    m_wakeup.notify();
  }
}

ShutdownReport WorkerDispatch::shutdown(TimeMs grace) {
  ShutdownReport report;
  {
    std::unique_lock lock(m_mutex);
    if (m_stopping && m_workers.empty()) {
      return report;  // shut down before
    }
    m_stopping = true;
    for (auto& u : m_queue) {
      report.not_sent.push_back(std::move(u));
    }
    m_queue.clear();
    // Clamped: a grace of k_never would overflow the deadline and not wait at all.
    auto length = std::chrono::milliseconds(std::clamp<TimeMs>(grace, 0, k_longest_grace_ms));
    m_idle.wait_for(lock, length, [this] { return m_active.empty(); });
    for (const auto& [ticket, request] : m_active) {
      report.on_the_wire.push_back({ticket, request});
      m_cut.insert(ticket);
    }
  }
  m_work.notify_all();
  if (!report.on_the_wire.empty()) {
    // Hung requests would hold the workers (and this join) until their own timeouts.
    for (ApiClient* client : m_clients) {
      client->abort_calls();
    }
  }
  for (auto& w : m_workers) {
    w.join();
  }
  m_workers.clear();
  return report;
}

}  // namespace reelq
