#include "manifest/json_line.h"

#include <fmt/format.h>

#include <set>

#include "manifest/csv_reader.h"

namespace reelq {

namespace {

constexpr int k_max_depth = 32;  // a job line is two levels deep; a hostile one cannot recurse far

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

void append_utf8(std::string& out, unsigned cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

class JsonLineParser {
 public:
  JsonLineParser(std::string_view text, int line) : m_text(text), m_line(line) {}

  std::optional<YamlNode> document() {
    YamlNode root = value(0);
    skip_space();
    if (!m_failed && m_at < m_text.size()) {
      fail("text after the end of the JSON value (one job per line)");
    }
    if (m_failed) {
      return std::nullopt;
    }
    return root;
  }

  SourcePos error_pos() const { return m_error_pos; }
  const std::string& error() const { return m_error; }

 private:
  SourcePos pos_at(size_t at) const { return {m_line, char_columns(m_text.substr(0, at)) + 1}; }
  char peek() const { return m_at < m_text.size() ? m_text[m_at] : '\0'; }
  bool more() const { return m_at < m_text.size(); }

  void fail(std::string message) { fail_at(m_at, std::move(message)); }

  void fail_at(size_t at, std::string message) {
    if (!m_failed) {
      m_failed = true;
      m_error = std::move(message);
      m_error_pos = pos_at(at);
    }
  }

  void skip_space() {
    while (more() && (peek() == ' ' || peek() == '\t' || peek() == '\r' || peek() == '\n')) {
      ++m_at;
    }
  }

  YamlNode value(int depth) {
    skip_space();
    YamlNode n;
    n.pos = pos_at(m_at);
    if (depth > k_max_depth) {
      fail("JSON nested too deep");
      return n;
    }
    char c = peek();
    if (!more()) {
      fail(depth == 0 ? "expected a JSON object" : "the line ends inside a JSON value");
    } else if (c == '{') {
      object(n, depth);
    } else if (c == '[') {
      array(n, depth);
    } else if (c == '"') {
      n.kind = YamlKind::scalar;
      n.text = string();
    } else if (c == '-' || is_digit(c)) {
      n.kind = YamlKind::scalar;
      n.plain = true;
      n.text = number();
    } else {
      word(n);
    }
    return n;
  }

  void word(YamlNode& n) {
    for (std::string_view w : {"true", "false", "null"}) {
      if (m_text.substr(m_at, w.size()) == w) {
        m_at += w.size();
        n.kind = w == "null" ? YamlKind::null : YamlKind::scalar;
        n.plain = true;
        n.text = w == "null" ? "" : std::string(w);
        return;
      }
    }
    fail(fmt::format("unexpected '{}' where a JSON value was expected (text goes in double quotes)", peek()));
  }

  bool expect(char c, std::string_view what) {
    skip_space();
    if (peek() != c || !more()) {
      fail(fmt::format("expected {}", what));
      return false;
    }
    ++m_at;
    return true;
  }

  void object(YamlNode& n, int depth) {
    n.kind = YamlKind::mapping;
    ++m_at;
    skip_space();
    if (peek() == '}') {
      ++m_at;
      return;
    }
    std::set<std::string> keys;
    while (!m_failed) {
      skip_space();
      if (peek() != '"') {
        fail("expected a key in double quotes");
        return;
      }
      SourcePos key_pos = pos_at(m_at);
      std::string key = string();
      if (!m_failed && !keys.insert(key).second) {
        fail(fmt::format("duplicate key '{}'", key));
        m_error_pos = key_pos;  // the second one
        return;
      }
      if (!expect(':', "':' after the key")) {
        return;
      }
      YamlNode v = value(depth + 1);
      n.entries.push_back({std::move(key), key_pos, std::move(v)});
      skip_space();
      if (peek() == ',' && more()) {
        ++m_at;
        continue;
      }
      expect('}', "',' or '}'");
      return;
    }
  }

  void array(YamlNode& n, int depth) {
    n.kind = YamlKind::sequence;
    ++m_at;
    skip_space();
    if (peek() == ']') {
      ++m_at;
      return;
    }
    while (!m_failed) {
      n.items.push_back(value(depth + 1));
      skip_space();
      if (peek() == ',' && more()) {
        ++m_at;
        continue;
      }
      expect(']', "',' or ']'");
      return;
    }
  }

  std::string number() {
    size_t start = m_at;
    auto digits = [&] {
      size_t from = m_at;
      while (more() && is_digit(peek())) {
        ++m_at;
      }
      return m_at > from;
    };
    if (peek() == '-') {
      ++m_at;
    }
    if (peek() == '0') {
      ++m_at;
    } else if (!digits()) {
      fail("a number needs digits");
    }
    if (!m_failed && peek() == '.') {
      ++m_at;
      if (!digits()) {
        fail("a number needs digits after '.'");
      }
    }
    if (!m_failed && (peek() == 'e' || peek() == 'E')) {
      ++m_at;
      if (peek() == '+' || peek() == '-') {
        ++m_at;
      }
      if (!digits()) {
        fail("a number needs digits in its exponent");
      }
    }
    return std::string(m_text.substr(start, m_at - start));
  }

  unsigned hex4() {
    unsigned v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = peek();
      int d = is_digit(c)              ? c - '0'
              : (c >= 'a' && c <= 'f') ? c - 'a' + 10
              : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                       : -1;
      if (d < 0 || !more()) {
        fail("\\u needs 4 hex digits");
        return 0;
      }
      v = v * 16 + static_cast<unsigned>(d);
      ++m_at;
    }
    return v;
  }

  // After a backslash; problems are reported at the backslash.
  void escape(std::string& out) {
    const size_t start = m_at - 1;
    char c = peek();
    ++m_at;
    switch (c) {
      case '"':
        out += '"';
        return;
      case '\\':
        out += '\\';
        return;
      case '/':
        out += '/';
        return;
      case 'b':
        out += '\b';
        return;
      case 'f':
        out += '\f';
        return;
      case 'n':
        out += '\n';
        return;
      case 'r':
        out += '\r';
        return;
      case 't':
        out += '\t';
        return;
      case 'u':
        break;
      default:
        fail_at(start, fmt::format("unknown escape '\\{}'", c));
        return;
    }
    unsigned cp = hex4();
    if (cp >= 0xD800 && cp <= 0xDBFF && m_text.substr(m_at, 2) == "\\u") {
      m_at += 2;
      unsigned low = hex4();
      if (low < 0xDC00 || low > 0xDFFF) {
        fail_at(start, "a \\u surrogate pair is broken");
        return;
      }
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    } else if (cp >= 0xD800 && cp <= 0xDFFF) {
      fail_at(start, "a \\u escape names half of a surrogate pair");
      return;
    }
    append_utf8(out, cp);
  }

  std::string string() {
    const size_t start = m_at;
    ++m_at;  // the opening quote
    std::string out;
    while (!m_failed) {
      if (!more()) {
        fail_at(start, "text in quotes is never closed");
        break;
      }
      char c = m_text[m_at];
      if (c == '"') {
        ++m_at;
        break;
      }
      if (static_cast<unsigned char>(c) < 0x20) {
        fail("a control character inside quotes must be escaped (\\n, \\t, \\u00XX)");
        break;
      }
      ++m_at;
      if (c == '\\') {
        escape(out);
      } else {
        out += c;
      }
    }
    return out;
  }

  std::string_view m_text;
  int m_line;
  size_t m_at = 0;
  bool m_failed = false;
  std::string m_error;
  SourcePos m_error_pos;
};

}  // namespace

std::optional<YamlNode> parse_json_line(std::string_view text, int line, const std::string& file, Diagnostics& errors) {
  JsonLineParser parser(text, line);
  auto root = parser.document();
  if (!root) {
    errors.push_back({file, parser.error_pos(), parser.error()});
  }
  return root;
}

}  // namespace reelq
