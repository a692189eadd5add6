#pragma once
// An HttpTransport that hands requests straight to a SimCore: the real client, classifier and
// downloader run against the simulator in-process, on the simulator's (fake) clock.
#include <Poco/URI.h>

#include <atomic>

#include "api/transport.h"
#include "sim/sim_core.h"

namespace reelq::test {

class SimTransport final : public HttpTransport {
 public:
  explicit SimTransport(SimCore& core) : m_core(core) {}

  HttpResponse send(const HttpRequest& request) override {
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

  HttpResponse fetch(const HttpRequest& request, const BodySink& sink) override {
    HttpResponse r = send(request);
    if (!r.body.empty()) {
      sink(r.body.data(), r.body.size());
    }
    r.body.clear();
    return r;
  }

  std::atomic<int> requests{0};

 private:
  SimCore& m_core;
};

}  // namespace reelq::test
