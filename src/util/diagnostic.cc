#include "util/diagnostic.h"

#include <fmt/format.h>

namespace reelq {

std::string Diagnostic::to_string() const {
  if (pos.line <= 0) {
    return fmt::format("{}: {}", file, message);
  }
  return fmt::format("{}:{}:{}: {}", file, pos.line, pos.col, message);
}

std::string to_string(const Diagnostics& diags) {
  std::string out;
  for (const auto& d : diags) {
    out += d.to_string();
    out += '\n';
  }
  return out;
}

}  // namespace reelq
