#pragma once
// A deadline for a request to arrive whole, from the moment its connection is taken by a worker
// to the moment its headers and body are read. The listener has one thread per connection, and a
// per-read timeout does not bound a client that sends a byte every few seconds (slowloris): such
// clients could hold every thread, and genuine callbacks would be refused. A watcher thread shuts
// down the sockets of requests still arriving at their deadline; the blocked read then ends and
// the worker is free. The answer (an image of up to 10 MB) is not under this deadline.
#include <Poco/Net/StreamSocket.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <thread>

namespace reelq {

class RequestDeadlines {
 public:
  explicit RequestDeadlines(std::chrono::milliseconds deadline);
  ~RequestDeadlines();
  RequestDeadlines(const RequestDeadlines&) = delete;
  RequestDeadlines& operator=(const RequestDeadlines&) = delete;

  // Watches `socket` from now; returns the ticket release() takes.
  std::uint64_t watch(const Poco::Net::StreamSocket& socket);
  // The request has arrived (or the connection ended): no longer watched.
  void release(std::uint64_t ticket);
  // Shuts down every watched socket now (the listener is stopping).
  void shut_all();

 private:
  struct Watched {
    std::chrono::steady_clock::time_point until;
    Poco::Net::StreamSocket socket;  // a reference to the socket: its descriptor stays ours while watched
  };
  void loop();

  std::chrono::milliseconds m_deadline;
  std::mutex m_mutex;
  std::condition_variable m_cv;
  std::map<std::uint64_t, Watched> m_watched;
  std::uint64_t m_next = 1;
  bool m_stopping = false;
  std::thread m_thread;
};

}  // namespace reelq
