#pragma once
// An HttpTransport that hands requests straight to a SimCore: the real client, classifier and
// downloader run against the simulator in-process, on the simulator's (fake) clock. Given a clock
// and a latency, each API request takes that long on it (half before the sim sees it, half after),
// standing in for the round trip; downloads take none (they happen off the run loop's clock).
// SimConfig::latency (the simulator's own answer delays) is added on the same clock.
#include <Poco/URI.h>

#include <atomic>
#include <cstdint>
#include <ctime>

#include "api/transport.h"
#include "sim/sim_core.h"

namespace reelq::test {

class SimTransport final : public HttpTransport {
 public:
  explicit SimTransport(SimCore& core, Clock* clock = nullptr, TimeMs latency = 0)
      : m_core(core), m_clock(clock), m_latency(latency) {}

  HttpResponse send(const HttpRequest& request) override {
    if (down()) {
      return refused();
    }
    if (m_clock && m_latency > 0) {
      m_clock->sleep_ms(m_latency / 2);
      HttpResponse r = answer(request);
      m_clock->sleep_ms(m_latency - m_latency / 2);
      return r;
    }
    return answer(request);
  }

  HttpResponse fetch(const HttpRequest& request, const BodySink& sink) override {
    if (down()) {
      return refused();
    }
    HttpResponse r = answer(request);
    if (!r.body.empty()) {
      sink(r.body.data(), r.body.size());
    }
    r.body.clear();
    return r;
  }

  std::atomic<int> requests{0};
  // An outage on the clock: from `down_from` until `down_until`, nothing can be sent (the
  // simulator never hears of it), as when its host refuses connections.
  TimeMs down_from = 0;
  TimeMs down_until = 0;
  std::atomic<int> refused_requests{0};
  // CPU time the simulator spent answering, on whichever thread asked: the lab reports reelq's
  // own CPU without it.
  std::atomic<std::int64_t> sim_cpu_ns{0};

 private:
  static std::int64_t thread_cpu_ns() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
  }
  bool down() const { return m_clock && m_clock->now_ms() >= down_from && m_clock->now_ms() < down_until; }
  HttpResponse refused() {
    ++refused_requests;
    HttpResponse r;
    r.wire = WireOutcome::not_sent;
    r.error = "Connection refused";
    return r;
  }

  HttpResponse answer(const HttpRequest& request) {
    Poco::URI uri(request.url);
    SimRequest req{request.method, uri.getPath(), uri.getRawQuery(), "", request.body};
    for (const auto& [k, v] : request.headers) {
      if (k == "Authorization") {
        req.authorization = v;
      }
    }
    ++requests;
    const std::int64_t cpu_before = thread_cpu_ns();
    SimReply reply = m_core.handle(req);
    sim_cpu_ns += thread_cpu_ns() - cpu_before;
    if (m_clock && reply.delay_ms > 0) {
      m_clock->sleep_ms(reply.delay_ms);  // SimConfig::latency, on the fake clock
    }
    HttpResponse r;
    if (reply.fault == SimFault::drop_before || reply.fault == SimFault::drop_after) {
      r.wire = WireOutcome::no_answer;
      r.error = "connection closed without an answer";
      return r;
    }
    r.status = reply.status;
    r.body = reply.body;
    r.headers = reply.headers;
    r.headers.emplace_back("Content-Length", std::to_string(reply.body.size()));
    if (reply.fault == SimFault::truncate) {
      r.body.resize(r.body.size() / 2);
    }
    return r;
  }

  SimCore& m_core;
  Clock* m_clock;
  TimeMs m_latency;
};

}  // namespace reelq::test
