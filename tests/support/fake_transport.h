#pragma once
// A transport that replays scripted answers and records every request it was given.
#include <deque>
#include <stdexcept>

#include "api/transport.h"
#include "util/clock.h"

namespace reelq::test {

class FakeTransport final : public HttpTransport {
 public:
  // Queues the next answer.
  void answer(int status, std::string body, Headers headers = {}) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    r.headers = std::move(headers);
    m_script.push_back(std::move(r));
  }
  void fail(WireOutcome wire, std::string error) {
    HttpResponse r;
    r.wire = wire;
    r.error = std::move(error);
    m_script.push_back(std::move(r));
  }

  HttpResponse send(const HttpRequest& request) override {
    requests.push_back(request);
    if (clock) {
      times.push_back(clock->now_ms());
    }
    if (m_script.empty()) {
      throw std::logic_error("FakeTransport: no scripted answer for " + request.method + " " + request.url);
    }
    HttpResponse r = std::move(m_script.front());
    m_script.pop_front();
    return r;
  }

  HttpResponse fetch(const HttpRequest& request, const BodySink& sink) override {
    HttpResponse r = send(request);
    if (r.wire == WireOutcome::answered && !r.body.empty()) {
      sink(r.body.data(), r.body.size());
    }
    r.body.clear();
    return r;
  }

  std::vector<HttpRequest> requests;
  std::vector<TimeMs> times;  // when each request was sent, if `clock` is set
  Clock* clock = nullptr;

 private:
  std::deque<HttpResponse> m_script;
};

}  // namespace reelq::test
