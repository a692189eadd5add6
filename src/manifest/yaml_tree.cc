#include "manifest/yaml_tree.h"

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <charconv>
#include <map>
#include <optional>
#include <sstream>
#include <unordered_map>

namespace reelq {

const YamlNode* YamlNode::find(std::string_view key) const {
  for (const auto& e : entries) {
    if (e.key == key) {
      return &e.value;
    }
  }
  return nullptr;
}

namespace {

SourcePos to_pos(const YAML::Mark& m) {
  if (m.is_null()) {
    return {};
  }
  return {m.line + 1, m.column + 1};
}

bool all_digits(std::string_view s, int base) {
  if (s.empty()) {
    return false;
  }
  for (char c : s) {
    bool ok = base == 16  ? std::isxdigit(static_cast<unsigned char>(c)) != 0
              : base == 8 ? (c >= '0' && c <= '7')
                          : (c >= '0' && c <= '9');
    if (!ok) {
      return false;
    }
  }
  return true;
}

bool is_float(std::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    s.remove_prefix(1);
  }
  if (s == ".inf" || s == ".Inf" || s == ".INF") {
    return true;
  }
  size_t i = 0;
  size_t digits = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
    ++i, ++digits;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      ++i, ++digits;
    }
  }
  if (digits == 0) {
    return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) {
      ++i;
    }
    return all_digits(s.substr(i), 10);
  }
  return i == s.size();
}

// More values than 100,000 jobs of a generous manifest hold; past it the tree is refused.
constexpr size_t k_max_yaml_nodes = 2'000'000;
// Aliases save typing a prompt twice; nested ones ("billion laughs") multiply. What they may add.
constexpr size_t k_max_alias_nodes = 100'000;

struct TooManyNodes {
  SourcePos pos;
  bool aliases = false;
};

// Builds the tree from parser events. Containers in progress live on a stack; a finished value is
// attached to its parent (a sequence item, a mapping key or a mapping value).
class TreeBuilder : public YAML::EventHandler {
 public:
  TreeBuilder(std::string_view text, const std::string& file, Diagnostics& errors)
      : m_text(text), m_file(file), m_errors(errors) {}

  YamlNode take_root() { return std::move(m_root); }
  bool has_root() const { return m_has_root; }

  void OnDocumentStart(const YAML::Mark& mark) override { m_doc_pos = to_pos(mark); }
  SourcePos document_pos() const { return m_doc_pos; }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    count(mark, 1);
    YamlNode n;
    n.pos = to_pos(mark);
    // `prompt: # note` has no value, and yaml-cpp marks the token after it, on a later line: put
    // the missing value where the reader looks, just after its key.
    if (!m_stack.empty() && m_stack.back().have_key && m_stack.back().key_pos.line < n.pos.line) {
      const Frame& top = m_stack.back();
      n.pos = {top.key_pos.line, top.key_pos.col + static_cast<int>(top.key.size()) + 2};
    }
    finish(std::move(n), anchor);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = m_anchors.find(anchor);
    YamlNode n = it != m_anchors.end() ? it->second : YamlNode{};
    n.pos = to_pos(mark);
    size_t size = it != m_anchors.end() ? m_anchor_sizes[anchor] : 1;
    m_alias_nodes += size;
    if (m_alias_nodes > k_max_alias_nodes) {
      throw TooManyNodes{to_pos(mark), true};
    }
    count(mark, size);
    finish(std::move(n), 0);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    count(mark, 1);
    YamlNode n;
    n.kind = YamlKind::scalar;
    n.pos = to_pos(mark);
    n.text = value;
    n.plain = tag == "?";  // yaml-cpp tags plain scalars "?" and quoted or block ones "!"
    check_closed_quote(mark);
    finish(std::move(n), anchor);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(YamlKind::sequence, mark, anchor);
  }
  void OnSequenceEnd() override { close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(YamlKind::mapping, mark, anchor);
  }
  void OnMapEnd() override { close(); }

 private:
  struct Frame {
    YamlNode node;
    YAML::anchor_t anchor = 0;
    bool have_key = false;  // mappings: a key was read and waits for its value
    std::string key;
    SourcePos key_pos;
    std::unordered_map<std::string, int> key_lines;  // for duplicate-key errors
  };

  void open(YamlKind kind, const YAML::Mark& mark, YAML::anchor_t anchor) {
    count(mark, 1);
    Frame f;
    f.node.kind = kind;
    f.node.pos = to_pos(mark);
    f.anchor = anchor;
    m_stack.push_back(std::move(f));
  }

  void close() {
    Frame f = std::move(m_stack.back());
    m_stack.pop_back();
    finish(std::move(f.node), f.anchor);
  }

  // Every value the tree will hold, aliases counted at their full expanded size: a few lines of
  // nested aliases ("billion laughs") would otherwise expand into gigabytes.
  void count(const YAML::Mark& mark, size_t nodes) {
    m_nodes += nodes;
    if (m_nodes > k_max_yaml_nodes) {
      throw TooManyNodes{to_pos(mark)};
    }
  }

  static size_t size_of(const YamlNode& n) {
    size_t size = 1;
    for (const auto& item : n.items) {
      size += size_of(item);
    }
    for (const auto& e : n.entries) {
      size += 1 + size_of(e.value);
    }
    return size;
  }

  void finish(YamlNode n, YAML::anchor_t anchor) {
    if (anchor != 0) {
      m_anchor_sizes[anchor] = size_of(n);
      m_anchors[anchor] = n;
    }
    if (m_stack.empty()) {
      m_root = std::move(n);
      m_has_root = true;
      return;
    }
    Frame& top = m_stack.back();
    if (top.node.kind == YamlKind::sequence) {
      top.node.items.push_back(std::move(n));
    } else if (!top.have_key) {
      accept_key(top, n);
    } else {
      top.have_key = false;
      top.node.entries.push_back({std::move(top.key), top.key_pos, std::move(n)});
    }
  }

  void accept_key(Frame& top, const YamlNode& k) {
    top.have_key = true;
    top.key_pos = k.pos;
    if (k.kind != YamlKind::scalar) {
      error(k.pos, "a key must be plain text");
      top.key = "";
      return;
    }
    top.key = k.text;
    auto [it, inserted] = top.key_lines.emplace(k.text, k.pos.line);
    if (!inserted) {
      error(k.pos, fmt::format("duplicate key '{}' (first at line {})", k.text, it->second));
    }
  }

  // yaml-cpp reads an unclosed quote to the end of the file without complaint, swallowing the
  // rest of the manifest into one string; find the closing quote ourselves.
  void check_closed_quote(const YAML::Mark& mark) {
    if (mark.pos < 0 || static_cast<size_t>(mark.pos) >= m_text.size()) {
      return;
    }
    char q = m_text[static_cast<size_t>(mark.pos)];
    if (q != '"' && q != '\'') {
      return;
    }
    for (size_t i = static_cast<size_t>(mark.pos) + 1; i < m_text.size(); ++i) {
      if (q == '"' && m_text[i] == '\\') {
        ++i;
      } else if (m_text[i] == q) {
        if (q == '\'' && i + 1 < m_text.size() && m_text[i + 1] == '\'') {
          ++i;  // '' is an escaped quote inside single quotes
          continue;
        }
        return;
      }
    }
    error(to_pos(mark), "YAML syntax error: quoted text is never closed");
  }

  void error(SourcePos pos, std::string message) { m_errors.push_back({m_file, pos, std::move(message)}); }

  std::string_view m_text;
  const std::string& m_file;
  Diagnostics& m_errors;
  SourcePos m_doc_pos;
  std::vector<Frame> m_stack;
  std::map<YAML::anchor_t, YamlNode> m_anchors;
  std::map<YAML::anchor_t, size_t> m_anchor_sizes;
  size_t m_nodes = 0;
  size_t m_alias_nodes = 0;
  YamlNode m_root;
  bool m_has_root = false;
};

// yaml-cpp's answer to a tab in indentation is confusing or absent; YAML forbids it, so say so.
bool check_tabs(std::string_view text, const std::string& file, Diagnostics& errors) {
  bool found = false;
  int line = 1;
  bool at_line_start = true;
  int col = 1;
  for (char c : text) {
    if (c == '\n') {
      ++line, col = 1, at_line_start = true;
      continue;
    }
    if (at_line_start && c == '\t') {
      errors.push_back({file, {line, col}, "tab in indentation; YAML indents with spaces"});
      found = true;
      at_line_start = false;
    } else if (c != ' ') {
      at_line_start = false;
    }
    ++col;
  }
  return found;
}

// YAML is text: no control character but tab and line breaks. yaml-cpp takes a NUL for the end of
// its input or a bad escape, so the first such byte is reported here, where it is.
bool check_control_bytes(std::string_view text, const std::string& file, Diagnostics& errors) {
  int line = 1;
  int col = 1;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
      ++line, col = 1;
      continue;
    }
    if ((u < 0x20 && c != '\t' && c != '\r') || u == 0x7f) {
      errors.push_back({file, {line, col},
                        fmt::format("byte 0x{:02x} is a control character; a YAML manifest holds text only", u)});
      return true;
    }
    ++col;
  }
  return false;
}

std::string_view line_at(std::string_view text, int line) {
  size_t start = 0;
  for (int l = 1; l < line && start != std::string_view::npos; ++l) {
    start = text.find('\n', start);
    start = start == std::string_view::npos ? start : start + 1;
  }
  if (start == std::string_view::npos || start > text.size()) {
    return {};
  }
  size_t end = text.find('\n', start);
  std::string_view l = text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
  return l.ends_with('\r') ? l.substr(0, l.size() - 1) : l;
}

int indent_of(std::string_view line) {
  size_t i = line.find_first_not_of(' ');
  return i == std::string_view::npos ? -1 : static_cast<int>(i);
}

// The column (1-based) where a line's key starts: after its indentation and any "- ".
int key_column(std::string_view line) {
  size_t i = line.find_first_not_of(' ');
  while (i != std::string_view::npos && line.substr(i).starts_with("- ")) {
    i = line.find_first_not_of(' ', i + 1);
  }
  return i == std::string_view::npos ? -1 : static_cast<int>(i) + 1;
}

// `key: value` of a line, without its indentation and "- ", or nullopt.
std::optional<std::pair<std::string, std::string>> key_and_value(std::string_view line) {
  int col = key_column(line);
  if (col < 1) {
    return std::nullopt;
  }
  std::string_view rest = line.substr(static_cast<size_t>(col - 1));
  size_t colon = rest.find(": ");
  if (colon == std::string_view::npos) {
    return std::nullopt;
  }
  std::string value(rest.substr(colon + 2));
  value.erase(0, value.find_first_not_of(' '));
  return std::pair{std::string(rest.substr(0, colon)), value};
}

// `value` as a single-quoted YAML scalar ('' stands for ').
std::string single_quoted(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    out += c == '\'' ? std::string("''") : std::string(1, c);
  }
  return out + "'";
}

// yaml-cpp's words for the syntax errors a person makes most, turned into what to write instead.
// The position stays yaml-cpp's; only the message changes.
std::string explain_syntax_error(std::string_view text, const YAML::Exception& e) {
  const int line_no = e.mark.line + 1;
  std::string_view line = line_at(text, line_no);
  auto kv = key_and_value(line);
  if (e.msg == "illegal map value" && kv) {
    return fmt::format("a value that contains \": \" must be quoted: write {}: {}", kv->first,
                       kv->second.find('"') == std::string::npos ? "\"" + kv->second + "\"" : single_quoted(kv->second));
  }
  if ((e.msg == "end of map not found" || e.msg == "end of sequence not found") && kv && !kv->second.empty() &&
      (kv->second[0] == '"' || kv->second[0] == '\'')) {
    std::string value = kv->second;
    if (value.size() >= 2 && value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);  // "she says "hello"": the outer quotes were meant as quotes
    }
    return fmt::format("text after the closing quote; to keep quotes inside a value, put the whole value in single "
                       "quotes: {}: {}",
                       kv->first, single_quoted(value));
  }
  if (e.msg == "end of map not found" || e.msg == "end of sequence not found") {
    // The line before with text on it sets the column its item's keys must keep.
    for (int prev = line_no - 1; prev >= 1; --prev) {
      std::string_view above = line_at(text, prev);
      if (indent_of(above) < 0 || above.substr(static_cast<size_t>(indent_of(above))).starts_with("#")) {
        continue;
      }
      int want = key_column(above);
      int got = key_column(line);
      if (want > 0 && got > 0 && want != got) {
        std::string word(line.substr(static_cast<size_t>(got - 1)));
        word = word.substr(0, word.find_first_of(": "));
        return fmt::format("indentation: '{}' starts at column {}, but the keys on line {} start at column {}; the "
                           "keys of one item must line up",
                           word, got, prev, want);
      }
      break;
    }
  }
  return e.msg;
}

}  // namespace

ScalarType resolve_plain_scalar(std::string_view s) {
  if (s == "true" || s == "True" || s == "TRUE" || s == "false" || s == "False" || s == "FALSE") {
    return ScalarType::boolean;
  }
  std::string_view digits = s;
  if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) {
    digits.remove_prefix(1);
  }
  if (all_digits(digits, 10)) {
    return ScalarType::integer;
  }
  if ((s.starts_with("0x") && all_digits(s.substr(2), 16)) || (s.starts_with("0o") && all_digits(s.substr(2), 8))) {
    return ScalarType::integer;
  }
  if (is_float(s) || s == ".nan" || s == ".NaN" || s == ".NAN") {
    return ScalarType::floating;
  }
  return ScalarType::string;
}

std::optional<long long> plain_integer(const YamlNode& n) {
  if (n.kind != YamlKind::scalar || !n.plain || resolve_plain_scalar(n.text) != ScalarType::integer) {
    return std::nullopt;
  }
  std::string_view s = n.text;
  bool negative = s.starts_with('-');
  if (negative || s.starts_with('+')) {
    s.remove_prefix(1);
  }
  int base = s.starts_with("0x") ? 16 : s.starts_with("0o") ? 8 : 10;
  if (base != 10) {
    s.remove_prefix(2);
  }
  long long value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value, base);
  if (ec != std::errc() || end != s.data() + s.size()) {
    return std::nullopt;  // out of range (the digits themselves were checked by resolve_plain_scalar)
  }
  return negative ? -value : value;
}

YamlDocument parse_yaml(std::string_view text, const std::string& file, Diagnostics& errors) {
  YamlDocument doc;
  if (check_control_bytes(text, file, errors) || check_tabs(text, file, errors)) {
    return doc;
  }
  std::istringstream in{std::string(text)};
  size_t before = errors.size();
  try {
    YAML::Parser parser(in);
    TreeBuilder builder(text, file, errors);
    if (!parser.HandleNextDocument(builder)) {
      return doc;
    }
    doc.root = builder.take_root();
    doc.empty = !builder.has_root();
    Diagnostics ignored;  // the second document's own problems do not matter: it is one too many
    TreeBuilder extra(text, file, ignored);
    if (parser.HandleNextDocument(extra)) {
      errors.push_back({file, extra.document_pos(), "more than one YAML document; a manifest is one document"});
    }
  } catch (const TooManyNodes& e) {
    errors.resize(before);
    errors.push_back(
        {file, e.pos,
         e.aliases ? fmt::format("YAML aliases here expand to more than {} values (nested anchors?); it is refused",
                                 k_max_alias_nodes)
                   : fmt::format("the manifest holds more than {} values; split it into batches", k_max_yaml_nodes)});
  } catch (const YAML::Exception& e) {
    errors.resize(before);  // a half-built tree's complaints would only confuse
    errors.push_back({file, to_pos(e.mark), fmt::format("YAML syntax error: {}", explain_syntax_error(text, e))});
  }
  return doc;
}

}  // namespace reelq
