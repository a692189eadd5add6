#pragma once
// A dispatch on the fake clock whose answers arrive a latency after they were sent, so a test can
// hold many requests in flight, deterministically, on one thread (the fake clock is not thread
// safe: nothing here runs on another thread).
//
// The call is made on the client in send(), so the server side (a FakeTransport, the in-process
// simulator) acts at the moment of sending; its answer is held back until the clock passes
// sent + latency. take() hands over those due, in the order they are due (by ticket on a tie).
// shutdown(grace) advances the clock as a real wait would: to the last answer due within the grace
// when all are, else by the whole grace; those still due later are on_the_wire and dropped.
#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "api/dispatch.h"
#include "support/fakes.h"

namespace reelq::test {

class DelayedDispatch final : public ApiDispatch {
 public:
  // Each request's answer takes `latency` ms unless `latency_for` says otherwise.
  DelayedDispatch(ApiClient& client, FakeClock& clock, TimeMs latency) : m_client(client), m_clock(clock) {
    latency_for = [latency](const ApiRequest&, Ticket) { return latency; };
  }

  Ticket send(ApiRequest request) override {
    Ticket t = ++m_last;
    ++sends;
    if (m_stopped) {
      m_held.push_back({0, never_sent(t, std::move(request), "not sent: the run is stopping")});
      return t;
    }
    TimeMs due = m_clock.now_ms() + std::max<TimeMs>(0, latency_for(request, t));
    m_held.push_back({due, call_api(m_client, t, std::move(request))});
    max_in_flight = std::max(max_in_flight, m_held.size());
    return t;
  }

  std::vector<ApiReply> take() override {
    std::vector<Held> due;
    std::vector<Held> later;
    for (auto& h : m_held) {
      (h.due <= m_clock.now_ms() ? due : later).push_back(std::move(h));
    }
    m_held = std::move(later);
    std::stable_sort(due.begin(), due.end(), [](const Held& a, const Held& b) { return a.due < b.due; });
    std::vector<ApiReply> out;
    for (auto& h : due) {
      out.push_back(std::move(h.reply));
    }
    return out;
  }

  std::size_t in_flight() const override { return m_held.size(); }

  TimeMs next_answer_at() const override {
    TimeMs next = k_never;
    for (const auto& h : m_held) {
      next = std::min(next, h.due);
    }
    return next;
  }

  ShutdownReport shutdown(TimeMs grace) override {
    ShutdownReport report;
    if (m_stopped) {
      return report;
    }
    m_stopped = true;
    TimeMs until = m_clock.now_ms() + std::max<TimeMs>(0, grace);
    TimeMs last_due = m_clock.now_ms();
    std::vector<Held> kept;
    for (auto& h : m_held) {
      if (h.due > until) {
        report.on_the_wire.push_back({h.reply.ticket, std::move(h.reply.request)});
        last_due = until;
      } else {
        last_due = std::max(last_due, h.due);
        kept.push_back(std::move(h));
      }
    }
    m_held = std::move(kept);
    m_clock.advance(last_due - m_clock.now_ms());
    std::sort(report.on_the_wire.begin(), report.on_the_wire.end(),
              [](const Unanswered& a, const Unanswered& b) { return a.ticket < b.ticket; });
    return report;
  }

  // The latency of each request (ms on the fake clock); set it to vary by request or ticket.
  std::function<TimeMs(const ApiRequest&, Ticket)> latency_for;
  int sends = 0;
  std::size_t max_in_flight = 0;  // the most requests held at once

 private:
  struct Held {
    TimeMs due = 0;
    ApiReply reply;
  };

  ApiClient& m_client;
  FakeClock& m_clock;
  Ticket m_last = 0;
  bool m_stopped = false;
  std::vector<Held> m_held;  // in the order sent
};

}  // namespace reelq::test
