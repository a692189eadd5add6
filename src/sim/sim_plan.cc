// The plans `reelq sim --plan` knows (declared in sim_config.h).
#include <utility>

#include "sim/sim_config.h"

namespace reelq {

namespace {

const std::vector<std::pair<std::string, SimPlanCaps>>& plan_table() {
  static const std::vector<std::pair<std::string, SimPlanCaps>> table = {
      {"pro", {60, 10}},
      {"free", {10, 3}},
  };
  return table;
}

}  // namespace

std::optional<SimPlanCaps> sim_plan_caps(const std::string& name) {
  for (const auto& [n, caps] : plan_table()) {
    if (n == name) {
      return caps;
    }
  }
  return std::nullopt;
}

const std::vector<std::string>& sim_plan_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& [n, caps] : plan_table()) {
      out.push_back(n);
    }
    return out;
  }();
  return names;
}

}  // namespace reelq
