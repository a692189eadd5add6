#pragma once
// An ApiClient for tests with real threads: every call blocks until the test opens its gate, so a
// test decides which calls are on their way and in what order they end, without timing. Each call
// answers ok (a submit with task id "t-<body>"); abort_calls() opens every gate.
#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "api/client.h"

namespace reelq::test {

class GateClient final : public ApiClient {
 public:
  // Whether calls wait for open(); false: they answer at once.
  explicit GateClient(bool gated = true) : m_gated(gated) {}

  SubmitResult submit(const std::string& /*model*/, const std::string& body) override {
    pass(body);
    SubmitResult r;
    r.answer.kind = AnswerKind::ok;
    r.task_id = "t-" + body;
    return r;
  }
  StatusResult status(const std::string& /*model*/, const std::string& task_id) override {
    pass(task_id);
    StatusResult r;
    r.answer.kind = AnswerKind::ok;
    r.status = TaskStatus{};
    r.status->task_id = task_id;
    return r;
  }
  BalanceResult balance() override {
    pass("balance");
    BalanceResult r;
    r.answer.kind = AnswerKind::ok;
    r.balance = 12.5;
    return r;
  }
  void abort_calls() override {
    std::lock_guard lock(m_mutex);
    m_aborted = true;
    m_changed.notify_all();
  }

  // Lets the call named `name` (a submit's body, a status query's task id, "balance") end.
  void open(const std::string& name) {
    std::lock_guard lock(m_mutex);
    m_open.insert(name);
    m_changed.notify_all();
  }
  // Blocks until `n` calls have begun (and not ended).
  void wait_until_waiting(std::size_t n) {
    std::unique_lock lock(m_mutex);
    m_changed.wait(lock, [&] { return m_waiting.size() >= n; });
  }
  std::multiset<std::string> waiting() {
    std::lock_guard lock(m_mutex);
    return m_waiting;
  }
  int calls() {
    std::lock_guard lock(m_mutex);
    return m_calls;
  }

 private:
  void pass(const std::string& name) {
    std::unique_lock lock(m_mutex);
    ++m_calls;
    if (!m_gated) {
      return;
    }
    auto it = m_waiting.insert(name);
    m_changed.notify_all();
    m_changed.wait(lock, [&] { return m_aborted || m_open.contains(name); });
    m_waiting.erase(it);
    m_changed.notify_all();
  }

  bool m_gated;
  std::mutex m_mutex;
  std::condition_variable m_changed;
  std::set<std::string> m_open;
  std::multiset<std::string> m_waiting;
  bool m_aborted = false;
  int m_calls = 0;
};

}  // namespace reelq::test
