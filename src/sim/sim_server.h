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

  int port() const;
  std::string base_url() const;  // http://127.0.0.1:PORT
  SimCore& core();

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace reelq
