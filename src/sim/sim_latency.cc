#include "sim/sim_latency.h"

#include <cmath>

namespace reelq {

namespace {

// splitmix64: a full-period mix, so consecutive request numbers give unrelated draws.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// A draw in [0, 1) from the top 53 bits, as std::generate_canonical would.
double unit(std::uint64_t bits) {
  return static_cast<double>(bits >> 11) * 0x1.0p-53;
}

TimeMs real_ms(double api_ms, double time_scale) {
  return static_cast<TimeMs>(std::llround(api_ms * time_scale));
}

}  // namespace

SimLatency::SimLatency(SimLatencyConfig config, double time_scale, std::uint64_t seed)
    : m_config(config), m_time_scale(time_scale), m_seed(mix(seed ^ 0x51073A7E11C7ULL)) {}

AnswerDelay SimLatency::delay_for(std::uint64_t request_no) const {
  AnswerDelay d;
  d.slow = m_config.slow_rate > 0 && unit(mix(m_seed + request_no)) < m_config.slow_rate;
  // A slow answer takes slow_seconds in all, not that on top of the usual latency.
  d.ms = real_ms(d.slow ? m_config.slow_seconds * 1000 : m_config.latency_ms, m_time_scale);
  return d;
}

}  // namespace reelq
