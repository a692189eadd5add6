// The real listener on 127.0.0.1: slow clients are cut off (by the per-read timeout, and by the
// deadline for a whole request) and cannot hold its threads, so a genuine callback gets its 200.
#include "listen/listener.h"

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/StreamSocket.h>
#include <doctest/doctest.h>

#include <chrono>
#include <thread>

using namespace reelq;

namespace {

int post_callback(int port, const std::string& token, const std::string& body) {
  Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
  session.setTimeout(Poco::Timespan(5, 0));
  Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, "/cb/" + token, Poco::Net::HTTPMessage::HTTP_1_1);
  req.setContentLength(static_cast<std::streamsize>(body.size()));
  session.sendRequest(req) << body;
  Poco::Net::HTTPResponse resp;
  session.receiveResponse(resp);
  return static_cast<int>(resp.getStatus());
}

}  // namespace

TEST_CASE("slow clients are cut off and cannot starve a genuine callback") {
  BoundedInbox inbox;
  ListenerOptions o;
  o.port = 0;
  o.token = std::string(64, 'c');
  o.threads = 2;
  o.timeout_s = 0.3;
  Listener listener(std::move(o), inbox);
  REQUIRE(listener.start().ok());
  // Two clients that announce a body and never send it: one per worker thread.
  std::vector<Poco::Net::StreamSocket> slow;
  for (int i = 0; i < 2; ++i) {
    slow.emplace_back(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(listener.port())));
    std::string head = "POST /cb/" + std::string(64, 'c') + " HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{";
    slow.back().sendBytes(head.data(), static_cast<int>(head.size()));
  }
  auto start = std::chrono::steady_clock::now();
  CHECK(post_callback(listener.port(), std::string(64, 'c'),
                      R"({"code":200,"data":{"taskId":"task_1","state":"success"}})") == 200);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
  CHECK(inbox.take().hints == std::vector<std::string>{"task_1"});
  // The slow ones were closed without an answer, and left no hint and no log line.
  for (auto& s : slow) {
    s.setReceiveTimeout(Poco::Timespan(3, 0));
    std::string got;
    char buf[512];
    for (int n; (n = s.receiveBytes(buf, sizeof buf)) > 0;) {
      got.append(buf, static_cast<size_t>(n));
    }
    CHECK(got == "");
  }
  auto items = inbox.take();
  CHECK(items.hints.empty());
  CHECK(items.notes.empty());
  listener.stop();
}

TEST_CASE("a client that trickles its request is cut off at the request deadline, whatever the per-read timeout") {
  BoundedInbox inbox;
  ListenerOptions o;
  o.port = 0;
  o.token = std::string(64, 'c');
  o.threads = 2;
  o.timeout_s = 10;  // a byte every 0.1 s never trips this
  o.request_deadline_s = 0.5;
  Listener listener(std::move(o), inbox);
  REQUIRE(listener.start().ok());
  std::vector<Poco::Net::StreamSocket> slow;
  for (int i = 0; i < 2; ++i) {
    slow.emplace_back(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(listener.port())));
    std::string head = "POST /cb/" + std::string(64, 'c') + " HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n";
    slow.back().sendBytes(head.data(), static_cast<int>(head.size()));
  }
  auto start = std::chrono::steady_clock::now();
  bool cut = false;
  for (int i = 0; i < 40 && !cut; ++i) {  // up to 4 s of a byte every 0.1 s
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    try {
      slow[0].sendBytes("{", 1);
      slow[1].sendBytes("{", 1);
    } catch (const Poco::Exception&) {
      cut = true;  // the listener shut the connection down
    }
  }
  CHECK(cut);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
  // Both threads are free again for a genuine callback.
  CHECK(post_callback(listener.port(), std::string(64, 'c'),
                      R"({"code":200,"data":{"taskId":"task_1","state":"success"}})") == 200);
  CHECK(inbox.take().hints == std::vector<std::string>{"task_1"});
  listener.stop();
}

TEST_CASE("a POST with neither a length nor chunks has no body: answered at once, the connection left open or not") {
  BoundedInbox inbox;
  ListenerOptions o;
  o.port = 0;
  o.token = std::string(64, 'c');
  Listener listener(std::move(o), inbox);
  REQUIRE(listener.start().ok());
  Poco::Net::StreamSocket s(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(listener.port())));
  std::string head = "POST /cb/" + std::string(64, 'c') + " HTTP/1.1\r\nHost: x\r\n\r\n{\"code\":200";
  s.sendBytes(head.data(), static_cast<int>(head.size()));
  s.setReceiveTimeout(Poco::Timespan(3, 0));
  char buf[512];
  int n = s.receiveBytes(buf, sizeof buf);
  REQUIRE(n > 12);
  CHECK(std::string(buf, 12) == "HTTP/1.1 400");
  listener.stop();
}
