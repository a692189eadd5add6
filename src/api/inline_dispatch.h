#pragma once
// The dispatch that makes each call inside send(), on the caller's thread: one request at a time,
// as the loop always did. Its answer is delivered on the next take(), like any dispatch's, so the
// loop has one way to apply answers. For tests on the fake clock and as the fallback.
#include <vector>

#include "api/dispatch.h"
#include "util/wakeup.h"

namespace reelq {

class InlineDispatch final : public ApiDispatch {
 public:
  // `wakeup` (optional) is notified after each answer, so a loop that sleeps on it right after
  // dispatching comes back at once to take the answer.
  explicit InlineDispatch(ApiClient& client, Wakeup* wakeup = nullptr) : m_clients{&client}, m_wakeup(wakeup) {}
  // A pool of keys: each request is made with its key's client (ApiRequest::key).
  explicit InlineDispatch(ApiClients clients, Wakeup* wakeup = nullptr)
      : m_clients(std::move(clients)), m_wakeup(wakeup) {}

  Ticket send(ApiRequest request) override;
  std::vector<ApiReply> take() override;
  std::size_t in_flight() const override { return m_answers.size(); }
  TimeMs next_answer_at() const override { return m_answers.empty() ? k_never : k_answers_waiting; }
  // Nothing is ever on its way between two calls: only stops further sends.
  ShutdownReport shutdown(TimeMs grace) override;

 private:
  ApiClients m_clients;
  Wakeup* m_wakeup;
  Ticket m_last = 0;
  bool m_stopped = false;
  std::vector<ApiReply> m_answers;
};

}  // namespace reelq
