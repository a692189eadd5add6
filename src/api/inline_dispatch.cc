#include "api/inline_dispatch.h"

namespace reelq {

Ticket InlineDispatch::send(ApiRequest request) {
  Ticket t = ++m_last;
  m_answers.push_back(m_stopped ? never_sent(t, std::move(request), "not sent: the run is stopping")
                                : call_api(m_clients, t, std::move(request)));
  if (m_wakeup) {
    m_wakeup->notify();
  }
  return t;
}

std::vector<ApiReply> InlineDispatch::take() {
  std::vector<ApiReply> out;
  out.swap(m_answers);
  return out;
}

ShutdownReport InlineDispatch::shutdown(TimeMs /*grace*/) {
  m_stopped = true;
  return {};
}

}  // namespace reelq
