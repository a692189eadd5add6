// The Poco transport from several threads at once (the API workers) and its abort on a stop: a
// call hung on a server that never answers ends at once, and nothing leaves afterwards. No assert
// depends on timing: the read timeout is an hour, so a lost abort hangs the test until ctest's
// timeout, which fails it.
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <future>
#include <thread>
#include <vector>

#include "api/poco_transport.h"
#include "sim/sim_server.h"

using namespace reelq;

namespace {

std::unique_ptr<HttpTransport> patient_transport() {
  TransportOptions o;
  o.user_agent = "reelq-test";
  o.connect_timeout_s = 3600;
  o.read_timeout_s = 3600;
  o.use_proxy_env = false;
  return make_poco_transport(o);
}

// Takes one request and never answers it; says when the request is in.
class SilentServer {
 public:
  SilentServer()
      : m_socket(Poco::Net::SocketAddress("127.0.0.1", 0)), m_thread([this] {
          Poco::Net::StreamSocket s = m_socket.acceptConnection();
          char buf[4096];
          s.receiveBytes(buf, sizeof buf);
          m_request_in.set_value();
          while (s.receiveBytes(buf, sizeof buf) > 0) {
            // held open, unanswered, until the client goes
          }
        }) {}
  ~SilentServer() { m_thread.join(); }
  std::string url() const {
    return fmt::format("http://127.0.0.1:{}/api/v1/generateTask/m", m_socket.address().port());
  }
  void wait_for_request() { m_request_in.get_future().wait(); }

 private:
  Poco::Net::ServerSocket m_socket;
  std::promise<void> m_request_in;
  std::thread m_thread;
};

}  // namespace

TEST_CASE("transport abort: a call waiting on a silent server ends at once as 'no answer'") {
  SilentServer server;
  auto transport = patient_transport();
  HttpRequest submit;
  submit.method = "POST";
  submit.url = server.url();
  submit.body = "{}";
  HttpResponse r;
  std::thread worker([&] { r = transport->send(submit); });
  server.wait_for_request();  // the request is on the wire: the worker is blocked reading
  transport->abort_calls();
  worker.join();
  CHECK(r.wire == WireOutcome::no_answer);  // it went out: ambiguous for a submit, as it should be

  // Nothing leaves after the abort, not even a connection attempt.
  HttpResponse after = transport->send(submit);
  CHECK(after.wire == WireOutcome::not_sent);
  CHECK(after.error == "not sent: reelq is stopping");
}

TEST_CASE("transport: several threads sending at once each get their own answer") {
  SimConfig c;
  SimServer sim(c);
  REQUIRE(sim.start().ok());
  auto transport = patient_transport();
  constexpr int k_threads = 4;
  constexpr int k_each = 25;
  std::vector<int> answered(k_threads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < k_threads; ++t) {
    threads.emplace_back([&, t] {
      HttpRequest stats;
      stats.url = sim.base_url() + "/__sim/stats";
      for (int i = 0; i < k_each; ++i) {
        HttpResponse r = transport->send(stats);
        answered[t] += r.wire == WireOutcome::answered && r.status == 200 ? 1 : 0;
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  for (int t = 0; t < k_threads; ++t) {
    CHECK(answered[t] == k_each);
  }
}
