#include "util/json_syntax.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace reelq {

namespace {

constexpr int k_max_depth = 256;

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// A recursive-descent recogniser: each method consumes one production or records the first error.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : m_text(text) {}

  std::optional<JsonSyntaxError> run() {
    if (m_text.starts_with("\xEF\xBB\xBF")) {
      m_at = 3;
    }
    skip_space();
    if (value(0)) {
      skip_space();
      if (!at_end()) {
        fail("expected the end of the file after the JSON value");
      }
    }
    return m_error;
  }

 private:
  bool at_end() const { return m_at >= m_text.size(); }
  char peek() const { return at_end() ? '\0' : m_text[m_at]; }

  // What stands at the error's place, for the message.
  std::string found() const {
    if (at_end()) {
      return "the end of the file";
    }
    unsigned char c = static_cast<unsigned char>(peek());
    return c < 0x20 || c == 0x7f ? fmt::format("byte 0x{:02x}", c) : fmt::format("'{}'", peek());
  }

  bool fail(const std::string& message) {
    if (!m_error) {
      std::string_view before = m_text.substr(0, std::min(m_at, m_text.size()));
      size_t line_start = before.rfind('\n');
      int line = 1 + static_cast<int>(std::count(before.begin(), before.end(), '\n'));
      int col = static_cast<int>(line_start == std::string_view::npos ? m_at + 1 : m_at - line_start);
      m_error = JsonSyntaxError{{line, col}, message};
    }
    return false;
  }

  bool expected(const std::string& what, std::string_view hint = "") {
    return fail(fmt::format("expected {}, found {}{}", what, found(), hint));
  }

  void skip_space() {
    while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) {
      ++m_at;
    }
  }

  bool value(int depth) {
    if (depth > k_max_depth) {
      return fail(fmt::format("nested deeper than {} levels", k_max_depth));
    }
    switch (peek()) {
      case '{':
        return object(depth + 1);
      case '[':
        return array(depth + 1);
      case '"':
        return string();
      case 't':
        return literal("true");
      case 'f':
        return literal("false");
      case 'n':
        return literal("null");
      case '\'':
        return expected("a value", " (JSON strings are in double quotes)");
      default:
        return peek() == '-' || is_digit(peek()) ? number() : expected("a value");
    }
  }

  bool object(int depth) {
    ++m_at;  // '{'
    skip_space();
    if (peek() == '}') {
      ++m_at;
      return true;
    }
    for (bool after_comma = false;; after_comma = true) {
      if (peek() != '"') {
        return expected("a member name in double quotes",
                        after_comma && peek() == '}' ? " (JSON allows no comma before '}')" : "");
      }
      if (!string()) {
        return false;
      }
      skip_space();
      if (peek() != ':') {
        return expected("':' after the member name");
      }
      ++m_at;
      skip_space();
      if (!value(depth)) {
        return false;
      }
      skip_space();
      if (peek() == '}') {
        ++m_at;
        return true;
      }
      if (peek() != ',') {
        return expected("',' or '}'");
      }
      ++m_at;
      skip_space();
    }
  }

  bool array(int depth) {
    ++m_at;  // '['
    skip_space();
    if (peek() == ']') {
      ++m_at;
      return true;
    }
    for (bool after_comma = false;; after_comma = true) {
      if (after_comma && peek() == ']') {
        return expected("a value", " (JSON allows no comma before ']')");
      }
      if (!value(depth)) {
        return false;
      }
      skip_space();
      if (peek() == ']') {
        ++m_at;
        return true;
      }
      if (peek() != ',') {
        return expected("',' or ']'");
      }
      ++m_at;
      skip_space();
    }
  }

  bool string() {
    ++m_at;  // '"'
    while (!at_end() && peek() != '"') {
      unsigned char c = static_cast<unsigned char>(peek());
      if (c < 0x20) {
        return expected("a character of the string or its closing '\"'", " (a control character must be escaped)");
      }
      if (c == '\\' && !escape()) {
        return false;
      }
      if (c != '\\') {
        ++m_at;
      }
    }
    if (at_end()) {
      return expected("the string's closing '\"'");
    }
    ++m_at;
    return true;
  }

  bool escape() {
    ++m_at;  // '\\'
    char c = peek();
    if (std::string_view("\"\\/bfnrt").find(c) != std::string_view::npos && !at_end()) {
      ++m_at;
      return true;
    }
    if (c != 'u') {
      return expected("an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
    }
    ++m_at;
    for (int i = 0; i < 4; ++i, ++m_at) {
      if (!std::isxdigit(static_cast<unsigned char>(peek())) || at_end()) {
        return expected("four hex digits after \\u");
      }
    }
    return true;
  }

  bool digits() {
    if (!is_digit(peek())) {
      return expected("a digit");
    }
    while (is_digit(peek())) {
      ++m_at;
    }
    return true;
  }

  bool number() {
    if (peek() == '-') {
      ++m_at;
    }
    if (peek() == '0') {
      ++m_at;
    } else if (!digits()) {
      return false;
    }
    if (peek() == '.') {
      ++m_at;
      if (!digits()) {
        return false;
      }
    }
    if (peek() == 'e' || peek() == 'E') {
      ++m_at;
      if (peek() == '+' || peek() == '-') {
        ++m_at;
      }
      return digits();
    }
    return true;
  }

  bool literal(std::string_view word) {
    if (m_text.substr(m_at, word.size()) != word) {
      return expected("a value", " (true, false and null are lowercase words; strings are in double quotes)");
    }
    m_at += word.size();
    return true;
  }

  std::string_view m_text;
  size_t m_at = 0;
  std::optional<JsonSyntaxError> m_error;
};

}  // namespace

std::optional<JsonSyntaxError> check_json_syntax(std::string_view text) {
  return Scanner(text).run();
}

}  // namespace reelq
