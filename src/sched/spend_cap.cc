#include "sched/spend_cap.h"

namespace reelq {

namespace {

// Prices are cents and their sums; a comparison that a float's last bit could tip would stop one
// render short of a cap set at exactly N renders.
constexpr double k_epsilon = 1e-6;

}  // namespace

bool SpendCap::reserve(std::optional<double> price) {
  if (!m_cap) {
    if (price) {
      m_committed += *price;
    }
    return true;
  }
  if (!price || m_committed + *price > *m_cap + k_epsilon) {
    m_reached = true;
    return false;
  }
  m_committed += *price;
  m_reached = false;
  return true;
}

CapReach cap_reach(double cap, double committed, const std::vector<std::optional<double>>& prices) {
  CapReach r{0, static_cast<int>(prices.size()), committed, committed};
  SpendCap check(cap, committed);
  bool open = true;
  for (const auto& price : prices) {
    open = open && check.reserve(price);
    r.fits += open ? 1 : 0;
    r.to_finish = r.to_finish && price ? std::optional<double>(*r.to_finish + *price) : std::nullopt;
  }
  return r;
}

void SpendCap::release(double price) {
  m_committed = m_committed > price ? m_committed - price : 0;
  m_reached = false;
}

}  // namespace reelq
