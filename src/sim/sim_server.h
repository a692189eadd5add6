#pragma once
// `reelq sim` on the network: SimCore behind Poco's HTTP server on 127.0.0.1, plus the thread that
// delivers callbacks. Used by the `sim` command, by `run --rehearse`, and by integration tests.
#include <memory>
#include <string>

#include "sim/sim_config.h"
#include "sim/sim_core.h"
#include "util/result.h"

namespace reelq {

class SimServer {
 public:
  explicit SimServer(SimConfig config);
  ~SimServer();

  // Binds (port 0 picks a free one) and starts serving. An error if the port is taken.
  Status start();
  void stop();
  // The network goes away for `seconds` (scaled): connections are refused, open ones closed, and
  // then it serves again on the same port with the same state (tasks kept rendering meanwhile).
  // Returns the outage's real length in ms; 0 if one is already under way.
  std::int64_t begin_outage(double seconds);

  int port() const;
  std::string base_url() const;  // http://127.0.0.1:PORT
  SimCore& core();

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace reelq
