// The real transport against `reelq sim` on 127.0.0.1: what became of a request on the wire, which
// decides whether a submit is safe to send again (never sent) or ambiguous (sent, no answer).
#include "api/poco_transport.h"

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <chrono>
#include <thread>

#include "api/answer.h"
#include "sim/sim_server.h"
#include "support/local_transport.h"

using namespace reelq;

namespace {

using test::local_transport;

}  // namespace

TEST_CASE("a host that refuses connections: never sent, unreachable; then served again on a fresh connection") {
  SimConfig c;
  c.time_scale = 0.01;
  SimServer sim(c);
  REQUIRE(sim.start().ok());
  auto transport = local_transport();
  HttpRequest stats;
  stats.url = sim.base_url() + "/__sim/stats";
  REQUIRE(transport->send(stats).wire == WireOutcome::answered);  // leaves a kept-alive connection

  REQUIRE(sim.begin_outage(100) == 1000);  // 100 s at time scale 0.01
  // Open connections may finish what they carry for a moment (up to Poco's 250 ms accept poll).
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  HttpResponse down = transport->send(stats);
  CHECK(down.wire == WireOutcome::not_sent);
  CHECK(down.error.starts_with("Connection refused"));
  Answer a = classify(Endpoint::generate, down, 0);
  CHECK(a.kind == AnswerKind::unreachable);
  CHECK_FALSE(a.sent);

  HttpResponse back = down;
  for (int i = 0; i < 40 && back.wire != WireOutcome::answered; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    back = transport->send(stats);
  }
  CHECK(back.wire == WireOutcome::answered);
}

TEST_CASE("a kept-alive connection the server closed is not reused: the next request is answered") {
  SimConfig c;
  c.time_scale = 0.001;
  SimServer sim(c);
  REQUIRE(sim.start().ok());
  auto transport = local_transport();
  HttpRequest stats;
  stats.url = sim.base_url() + "/__sim/stats";
  REQUIRE(transport->send(stats).wire == WireOutcome::answered);
  REQUIRE(sim.begin_outage(50) == 50);  // closes every open connection, serves again soon after
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  CHECK(transport->send(stats).wire == WireOutcome::answered);
}

TEST_CASE("a connection dropped after the request went out is 'no answer': ambiguous for a submit") {
  SimConfig c;
  c.faults.drop_before = 1.0;
  SimServer sim(c);
  REQUIRE(sim.start().ok());
  auto transport = local_transport();
  HttpRequest submit;
  submit.method = "POST";
  submit.url = sim.base_url() + "/api/v1/generateTask/sora-2-pro";
  submit.headers = {{"Authorization", "Bearer sim-key"}, {"Content-Type", "application/json"}};
  submit.body = "{}";
  HttpResponse r = transport->send(submit);
  CHECK(r.wire == WireOutcome::no_answer);
  CHECK(classify(Endpoint::generate, r, 0).kind == AnswerKind::ambiguous);
}

namespace {

// A one-connection server that answers `head` (status line, headers, the first body bytes) and
// then holds the connection open without a word for `hold`.
class StallingServer {
 public:
  StallingServer(std::string head, std::chrono::milliseconds hold)
      : m_socket(Poco::Net::SocketAddress("127.0.0.1", 0)), m_thread([this, head, hold] {
          Poco::Net::StreamSocket s = m_socket.acceptConnection();
          char buf[4096];
          s.receiveBytes(buf, sizeof buf);  // the request
          s.sendBytes(head.data(), static_cast<int>(head.size()));
          std::this_thread::sleep_for(hold);
        }) {}
  ~StallingServer() { m_thread.join(); }
  std::string url() const { return fmt::format("http://127.0.0.1:{}/v.mp4", m_socket.address().port()); }

 private:
  Poco::Net::ServerSocket m_socket;
  std::thread m_thread;
};

const std::string k_head = std::string("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n") + std::string(
                                                                                             "\0\0\0\x18"
                                                                                             "ftypisom",
                                                                                             12);

}  // namespace

TEST_CASE("a body without a length that stops coming is no answer, not a whole one") {
  StallingServer server(k_head, std::chrono::milliseconds(1500));
  TransportOptions o;
  o.read_timeout_s = 0.3;
  o.use_proxy_env = false;
  auto transport = make_poco_transport(o);
  HttpRequest req;
  req.url = server.url();
  std::string got;
  HttpResponse r = transport->fetch(req, [&](const char* d, size_t n) {
    got.append(d, n);
    return true;
  });
  CHECK(got.size() == 12);
  CHECK(r.wire == WireOutcome::no_answer);
  CHECK(r.error == "answer broke off after 12 bytes (read failed or timed out)");
}

TEST_CASE("a body is handed over as it arrives, not once a buffer has filled") {
  StallingServer server(k_head, std::chrono::milliseconds(1500));
  auto transport = local_transport();  // a 5 s read timeout: only the sink can end this early
  HttpRequest req;
  req.url = server.url();
  auto started = std::chrono::steady_clock::now();
  size_t got = 0;
  HttpResponse r = transport->fetch(req, [&](const char*, size_t n) {
    got += n;
    return false;  // a sink giving up at the first bytes, as the progress rule does
  });
  CHECK(got == 12);
  CHECK(r.wire == WireOutcome::answered);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::milliseconds(1000));
}
