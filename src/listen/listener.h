#pragma once
// reelq's own HTTP(S) server for the run's duration (Poco::Net::HTTPServer): callbacks at
// /cb/TOKEN and local reference images at /img/TOKEN/NAME (src/listen/router.h says what it
// answers). Its threads own nothing but the inbox they push into: they never touch the database
// or the API. Bounded everywhere: connections wait for their first bytes without a thread
// (accept_gate.h), then a fixed pool of worker threads with small stacks, an accept queue, a
// deadline for each request to arrive whole (request_deadline.h), a timeout on every read and
// write, bodies over 1 MB refused, no keep-alive. Garbage at 200 requests a second, slow and
// endless bodies included, and 600 connections that send nothing leave genuine callbacks answered
// (scripts/bench-listener, tests/integration/test_callback.py).
#include <memory>
#include <string>

#include "listen/inbox.h"
#include "listen/probe.h"
#include "listen/served_images.h"
#include "util/result.h"

namespace reelq {

struct ListenerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0 = any free port
  std::string token;
  ImageTable images;
  ProbeSecret probe;     // empty: no probe path
  std::string tls_cert;  // both set: HTTPS
  std::string tls_key;
  // Enough that clients cut off at the deadline cannot hold them all: of 200 garbage requests a
  // second, a sixth trickling their body (scripts/bench-listener), about 70 are held at any
  // moment. A thread's stack is 256 KB, and only the pages it touches count.
  int threads = 128;
  int queue = 256;                // connections waiting for a thread; more are closed at once
  double timeout_s = 10;          // per read or write: a slow client is cut off
  double request_deadline_s = 2;  // from a worker taking the connection to the request read whole
  // Before a worker takes it, a connection waits for its first bytes this long, at no thread's
  // cost (accept_gate.h); of those waiting, the oldest past this many is closed.
  double first_bytes_s = 2;
  int max_waiting = 512;
};

class Listener {
 public:
  Listener(ListenerOptions options, BoundedInbox& inbox);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  Status start();  // binds and serves; an error names the address
  void stop();
  int port() const;  // the bound port (useful with port 0)

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

// "HOST:PORT" split; nullopt-like error for anything else.
Result<std::pair<std::string, int>> parse_listen_address(const std::string& text);

}  // namespace reelq
