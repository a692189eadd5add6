#include "listen/token.h"

#include <sys/random.h>

#include <cerrno>
#include <stdexcept>

namespace reelq {

std::string make_listen_token() {
  unsigned char bytes[32];
  size_t got = 0;
  while (got < sizeof bytes) {
    ssize_t n = ::getrandom(bytes + got, sizeof bytes - got, 0);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      throw std::runtime_error("the kernel's random source (getrandom) failed");
    }
    got += static_cast<size_t>(n);
  }
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * sizeof bytes);
  for (unsigned char b : bytes) {
    out += k_hex[b >> 4];
    out += k_hex[b & 0xf];
  }
  return out;
}

bool same_token(std::string_view given, std::string_view expected) {
  // Every byte of `expected` is looked at whatever `given` holds; the length difference is folded
  // into the same accumulator instead of returning early.
  unsigned diff = given.size() == expected.size() ? 0u : 1u;
  for (size_t i = 0; i < expected.size(); ++i) {
    unsigned char g = i < given.size() ? static_cast<unsigned char>(given[i]) : 0;
    diff |= g ^ static_cast<unsigned char>(expected[i]);
  }
  return diff == 0 && !expected.empty();
}

}  // namespace reelq
