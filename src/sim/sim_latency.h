#pragma once
// How long the simulator takes to answer: every API answer takes `latency_ms`, and a share
// `slow_rate` of them take `slow_seconds` instead, both in API time (multiplied by the time
// scale, like every other duration of the simulator). Pure and seeded: the delay of the n-th
// request depends only on the seed and n, so a run that is repeated is slow at the same requests
// whichever thread serves them, and tests can ask for any request's delay without a server.
#include <cstdint>

#include "util/clock.h"

namespace reelq {

struct SimLatencyConfig {
  double latency_ms = 0;     // every API answer, in API milliseconds (scaled)
  double slow_rate = 0;      // share of API answers (0..1) that are slow
  double slow_seconds = 30;  // how long a slow answer takes, in API seconds (scaled)
};

struct AnswerDelay {
  TimeMs ms = 0;      // real milliseconds to wait before answering
  bool slow = false;  // one of the slow_rate share
};

class SimLatency {
 public:
  SimLatency(SimLatencyConfig config, double time_scale, std::uint64_t seed);

  // The delay of the request numbered `request_no` (1, 2, ... in the order they reached the simulator).
  AnswerDelay delay_for(std::uint64_t request_no) const;
  bool any() const { return m_config.latency_ms > 0 || m_config.slow_rate > 0; }
  const SimLatencyConfig& config() const { return m_config; }

 private:
  SimLatencyConfig m_config;
  double m_time_scale;
  std::uint64_t m_seed;
};

}  // namespace reelq
