// Issue 17 item 14: 600 connections that connect and send nothing silenced the listener: every
// genuine callback after them was reset or closed unanswered. Connections now wait for their
// first bytes without holding a worker (listen/accept_gate.h).
#include "listen/accept_gate.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "listen/listener.h"

using namespace reelq;
using std::chrono::steady_clock;

namespace {

const std::string k_token(64, 'c');

int post_callback(int port, const std::string& body) {
  Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
  session.setTimeout(Poco::Timespan(5, 0));
  Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, "/cb/" + k_token, Poco::Net::HTTPMessage::HTTP_1_1);
  req.setContentLength(static_cast<std::streamsize>(body.size()));
  session.sendRequest(req) << body;
  Poco::Net::HTTPResponse resp;
  session.receiveResponse(resp);
  return static_cast<int>(resp.getStatus());
}

// True when the peer closed `s` (or reset it) within `within`.
bool closed_by_peer(Poco::Net::StreamSocket& s, Poco::Timespan within) {
  s.setReceiveTimeout(within);
  char buf[64];
  try {
    return s.receiveBytes(buf, sizeof buf) == 0;
  } catch (const Poco::TimeoutException&) {
    return false;
  } catch (const Poco::Exception&) {
    return true;  // reset
  }
}

}  // namespace

TEST_CASE("connections that send nothing hold no worker: a genuine callback after 200 of them is answered at once") {
  BoundedInbox inbox;
  ListenerOptions o;
  o.port = 0;
  o.token = k_token;
  o.threads = 2;
  o.queue = 8;
  o.first_bytes_s = 1;
  Listener listener(std::move(o), inbox);
  REQUIRE(listener.start().ok());
  Poco::Net::SocketAddress at("127.0.0.1", static_cast<Poco::UInt16>(listener.port()));
  std::vector<Poco::Net::StreamSocket> idle;
  for (int i = 0; i < 200; ++i) {
    Poco::Net::StreamSocket s;
    s.connect(at, Poco::Timespan(2, 0));
    idle.push_back(std::move(s));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // all accepted, none has sent a byte
  auto start = steady_clock::now();
  CHECK(post_callback(listener.port(), R"({"code":200,"data":{"taskId":"task_1","state":"success"}})") == 200);
  CHECK(steady_clock::now() - start < std::chrono::milliseconds(500));
  CHECK(inbox.take().hints == std::vector<std::string>{"task_1"});
  // The silent ones are closed unanswered once their second is up, and leave no note.
  int closed = 0;
  for (auto& s : idle) {
    closed += closed_by_peer(s, Poco::Timespan(3, 0)) ? 1 : 0;
  }
  CHECK(closed == 200);
  CHECK(inbox.take().notes.empty());
  listener.stop();
}

TEST_CASE("of too many silent connections the oldest are closed first, and a newer one that speaks is served") {
  Poco::Net::ServerSocket server(Poco::Net::SocketAddress("127.0.0.1", 0), 64);
  AcceptGate::Options o;
  o.first_bytes = std::chrono::milliseconds(5000);
  o.max_waiting = 10;
  std::atomic<int> ready{0};
  AcceptGate gate(server, o, [&](const Poco::Net::StreamSocket&) { ++ready; });
  gate.start();
  std::vector<Poco::Net::StreamSocket> idle;
  for (int i = 0; i < 15; ++i) {
    idle.emplace_back(server.address());
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // accepted in this order
  }
  Poco::Net::StreamSocket speaker(server.address());
  speaker.sendBytes("GET / HTTP/1.1\r\n", 16);
  for (int i = 0; i < 100 && ready.load() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(ready.load() == 1);
  for (int i = 0; i < 5; ++i) {
    CHECK(closed_by_peer(idle[static_cast<size_t>(i)], Poco::Timespan(1, 0)));
  }
  CHECK_FALSE(closed_by_peer(idle[14], Poco::Timespan(0, 100000)));  // newest: still waiting
  CHECK(gate.closed_idle() >= 5);
  gate.stop();
}
