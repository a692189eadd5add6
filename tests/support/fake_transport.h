#pragma once
// A transport that replays scripted answers and records every request it was given.
#include <deque>
#include <stdexcept>
#include <string>
#include <vector>

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
    m_script.push_back({std::move(r), {}, 0});
  }
  // Queues an answer whose body fetch() hands over in `pieces`, advancing `clock` (which must be
  // a FakeClock-like clock that advances on sleep) by `gap` ms before each: a slow or trickling
  // transfer. send() gives the pieces joined.
  void answer_in_pieces(int status, std::vector<std::string> pieces, TimeMs gap, Headers headers = {}) {
    HttpResponse r;
    r.status = status;
    r.headers = std::move(headers);
    m_script.push_back({std::move(r), std::move(pieces), gap});
  }
  void fail(WireOutcome wire, std::string error) {
    HttpResponse r;
    r.wire = wire;
    r.error = std::move(error);
    m_script.push_back({std::move(r), {}, 0});
  }

  HttpResponse send(const HttpRequest& request) override {
    Scripted next = take(request);
    for (const auto& p : next.pieces) {
      next.response.body += p;
    }
    return next.response;
  }

  HttpResponse fetch(const HttpRequest& request, const BodySink& sink) override {
    Scripted next = take(request);
    HttpResponse r = std::move(next.response);
    if (r.wire == WireOutcome::answered && !r.body.empty()) {
      sink(r.body.data(), r.body.size());
    }
    for (const auto& p : next.pieces) {
      if (clock) {
        clock->sleep_ms(next.gap);
      }
      if (!sink(p.data(), p.size())) {
        break;  // as the real transport does: the rest is never read
      }
    }
    r.body.clear();
    return r;
  }

  std::vector<HttpRequest> requests;
  std::vector<TimeMs> times;         // when each request was sent, if `clock` is set (wall time)
  std::vector<TimeMs> steady_times;  // ... and on its monotonic reading, which no step moves
  Clock* clock = nullptr;

 private:
  struct Scripted {
    HttpResponse response;
    std::vector<std::string> pieces;  // fetch() hands these over one by one
    TimeMs gap = 0;
  };

  Scripted take(const HttpRequest& request) {
    requests.push_back(request);
    if (clock) {
      times.push_back(clock->now_ms());
      steady_times.push_back(clock->steady_ms());
    }
    if (m_script.empty()) {
      throw std::logic_error("FakeTransport: no scripted answer for " + request.method + " " + request.url);
    }
    Scripted next = std::move(m_script.front());
    m_script.pop_front();
    return next;
  }

  std::deque<Scripted> m_script;
};

}  // namespace reelq::test
