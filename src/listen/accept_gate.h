#pragma once
// Where the listener's connections wait for their first bytes, costing a descriptor and no thread.
//
// The listener serves each connection on a worker thread. Handed over at accept, 600 connections
// that never sent a byte held every worker (each until its request deadline) and filled the queue
// behind them, and every genuine callback after them was closed unanswered. Here they wait in one
// poll(2) instead: a connection is handed to a worker once it has something to read (a request
// line, a TLS hello, or its end), and closed unanswered if nothing comes within `first_bytes`.
// At most `max_waiting` wait: past that the oldest is closed, so a flood of idle connections
// cannot use up the descriptors, and a genuine client, which sends at once, is never the oldest.
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <thread>

namespace reelq {

class AcceptGate {
 public:
  struct Options {
    std::chrono::milliseconds first_bytes{2000};
    std::size_t max_waiting = 512;
  };
  // Called on the gate's thread with each connection that has sent something.
  using Ready = std::function<void(const Poco::Net::StreamSocket&)>;

  AcceptGate(const Poco::Net::ServerSocket& socket, Options options, Ready ready);
  ~AcceptGate();  // stop()
  AcceptGate(const AcceptGate&) = delete;
  AcceptGate& operator=(const AcceptGate&) = delete;

  void start();
  // Accepts no more and closes the connections still waiting; returns once the thread has ended.
  void stop();

  // Connections closed for sending nothing in time, or for being the oldest of too many.
  std::size_t closed_idle() const { return m_closed_idle.load(); }

 private:
  struct Waiting {
    Poco::Net::StreamSocket socket;
    std::chrono::steady_clock::time_point until;
  };
  void loop();
  int accept_pending(std::chrono::steady_clock::time_point now);  // how many were accepted
  void close_idle(Waiting& w);

  Poco::Net::ServerSocket m_socket;
  Options m_options;
  Ready m_ready;
  std::deque<Waiting> m_waiting;  // oldest first; the gate's thread alone touches it
  std::atomic<bool> m_stopping{false};
  std::atomic<std::size_t> m_closed_idle{0};
  std::thread m_thread;
};

}  // namespace reelq
