#pragma once
// An HttpTransport that hands requests straight to a SimCore: the real client, classifier and
// downloader run against the simulator in-process, on the simulator's (fake) clock. Given a clock
// and a latency, each API request takes that long on it (half before the sim sees it, half after),
// standing in for the round trip; downloads take none (they happen off the run loop's clock).
#include <Poco/URI.h>

#include <atomic>

#include "api/transport.h"
#include "sim/sim_core.h"

namespace reelq::test {

class SimTransport final : public HttpTransport {
 public:
  explicit SimTransport(SimCore& core, Clock* clock = nullptr, TimeMs latency = 0)
      : m_core(core), m_clock(clock), m_latency(latency) {}

  HttpResponse send(const HttpRequest& request) override {
    if (m_clock && m_latency > 0) {
      m_clock->sleep_ms(m_latency / 2);
      HttpResponse r = answer(request);
      m_clock->sleep_ms(m_latency - m_latency / 2);
      return r;
    }
    return answer(request);
  }

  HttpResponse fetch(const HttpRequest& request, const BodySink& sink) override {
    HttpResponse r = answer(request);
    if (!r.body.empty()) {
      sink(r.body.data(), r.body.size());
    }
    r.body.clear();
    return r;
  }

  std::atomic<int> requests{0};

 private:
  HttpResponse answer(const HttpRequest& request) {
    Poco::URI uri(request.url);
    SimRequest req{request.method, uri.getPath(), uri.getRawQuery(), "", request.body};
    for (const auto& [k, v] : request.headers) {
      if (k == "Authorization") {
        req.authorization = v;
      }
    }
    ++requests;
    SimReply reply = m_core.handle(req);
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
