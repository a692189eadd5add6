#pragma once
// reelq's own HTTP(S) server for the run's duration (Poco::Net::HTTPServer): callbacks at
// /cb/TOKEN and local reference images at /img/TOKEN/NAME (src/listen/router.h says what it
// answers). Its threads own nothing but the inbox they push into: they never touch the database
// or the API. Bounded everywhere: a few worker threads, a short accept queue, a timeout on every
// read and write, bodies over 1 MB refused, no keep-alive.
#include <memory>
#include <string>

#include "listen/inbox.h"
#include "listen/served_images.h"
#include "util/result.h"

namespace reelq {

struct ListenerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0 = any free port
  std::string token;
  ImageTable images;
  std::string tls_cert;  // both set: HTTPS
  std::string tls_key;
  int threads = 4;
  int queue = 64;         // connections waiting for a thread; more are refused by the kernel's backlog
  double timeout_s = 10;  // per read or write: a slow client is cut off
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
