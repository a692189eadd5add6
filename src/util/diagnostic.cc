#include "util/diagnostic.h"

#include <fmt/format.h>

namespace reelq {

namespace {

// Messages quote the input, which may come from someone else: its control bytes (a NUL, an
// escape sequence that would drive the terminal) are shown, never sent to the terminal.
std::string visible(const std::string& text) {
  std::string out;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u != 0x7f) {
      out += c;
    } else if (c == '\0') {
      out += "\\0";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else {
      out += fmt::format("\\x{:02x}", u);
    }
  }
  return out;
}

}  // namespace

std::string Diagnostic::to_string() const {
  if (pos.line <= 0) {
    return fmt::format("{}: {}", visible(file), visible(message));
  }
  return fmt::format("{}:{}:{}: {}", visible(file), pos.line, pos.col, visible(message));
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
