#include "manifest/yaml_tree.h"

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <map>
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
    YamlNode n;
    n.pos = to_pos(mark);
    finish(std::move(n), anchor);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = m_anchors.find(anchor);
    YamlNode n = it != m_anchors.end() ? it->second : YamlNode{};
    n.pos = to_pos(mark);
    finish(std::move(n), 0);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
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

  void finish(YamlNode n, YAML::anchor_t anchor) {
    if (anchor != 0) {
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

YamlDocument parse_yaml(std::string_view text, const std::string& file, Diagnostics& errors) {
  YamlDocument doc;
  if (check_tabs(text, file, errors)) {
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
  } catch (const YAML::Exception& e) {
    errors.resize(before);  // a half-built tree's complaints would only confuse
    errors.push_back({file, to_pos(e.mark), fmt::format("YAML syntax error: {}", e.msg)});
  }
  return doc;
}

}  // namespace reelq
