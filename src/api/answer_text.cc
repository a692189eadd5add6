#include "api/answer_text.h"

#include <algorithm>
#include <cstdint>

namespace reelq {

std::string redact(std::string text, const std::string& secret) {
  if (secret.empty()) {
    return text;
  }
  for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at)) {
    text.replace(at, secret.size(), "[redacted]");
  }
  return text;
}

namespace {

// The length of the UTF-8 sequence at `at` and its code point; 0 when the bytes there are not a
// well-formed (shortest-form, non-surrogate) sequence.
size_t utf8_sequence(const std::string& s, size_t at, std::uint32_t& cp) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char lead = byte(at);
  size_t len = lead < 0x80 ? 1 : (lead & 0xe0) == 0xc0 ? 2 : (lead & 0xf0) == 0xe0 ? 3 : (lead & 0xf8) == 0xf0 ? 4 : 0;
  if (len == 0 || at + len > s.size()) {
    return 0;
  }
  cp = len == 1 ? lead : len == 2 ? lead & 0x1f : len == 3 ? lead & 0x0f : lead & 0x07;
  for (size_t i = 1; i < len; ++i) {
    if ((byte(at + i) & 0xc0) != 0x80) {
      return 0;
    }
    cp = (cp << 6) | (byte(at + i) & 0x3f);
  }
  static constexpr std::uint32_t k_min[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < k_min[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
    return 0;
  }
  return len;
}

// Characters a terminal acts on instead of showing: C0 controls, DEL, the C1 controls (U+009B is
// a CSI), and the bidi overrides and isolates that reorder what is shown around them.
bool shown_as_is(std::uint32_t cp) {
  return cp >= 0x20 && cp != 0x7f && !(cp >= 0x80 && cp < 0xa0) && !(cp >= 0x202a && cp <= 0x202e) &&
         !(cp >= 0x2066 && cp <= 0x2069);
}

}  // namespace

std::string printable_excerpt(const std::string& text, size_t max) {
  std::string out;
  size_t at = 0;
  while (at < text.size()) {
    std::uint32_t cp = 0;
    size_t len = utf8_sequence(text, at, cp);
    if (at + std::max<size_t>(len, 1) > max) {
      break;
    }
    if (len == 0) {
      out += '?';
      at += 1;
    } else {
      out += shown_as_is(cp) ? text.substr(at, len) : std::string("?");
      at += len;
    }
  }
  if (at < text.size()) {
    out += "...";
  }
  return out;
}

std::string answer_text(const std::string& text, const std::string& secret, size_t max) {
  return printable_excerpt(redact(text, secret), max);
}

}  // namespace reelq
