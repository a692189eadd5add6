#include "manifest/schema.h"

#include <Poco/JSON/Parser.h>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <stdexcept>

#include "util/embedded.h"
#include "util/text.h"

namespace reelq {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

const std::set<std::string> k_supported_keywords = {
    "$schema",     "$id",       "title",    "description", "default",    "x-expected",
    "definitions", "$ref",      "type",     "enum",        "pattern",    "minLength",
    "minimum",     "maximum",   "minItems", "required",    "properties", "additionalProperties",
    "items",       "maxLength", "maxItems"};

// One schema node, compiled once from the JSON so validation does no JSON lookups.
struct Node {
  std::string type;  // "" = any
  std::vector<Poco::Dynamic::Var> enum_values;
  std::optional<std::regex> pattern;
  std::string expected;  // x-expected: how to word a pattern failure
  std::optional<size_t> min_length;
  std::optional<double> minimum;
  std::optional<double> maximum;
  std::optional<size_t> min_items;
  std::optional<size_t> max_length;  // in characters (UTF-8 code points), as the API counts them
  std::optional<size_t> max_items;
  std::vector<std::string> required;
  std::vector<std::pair<std::string, const Node*>> properties;
  bool closed = false;  // additionalProperties: false
  const Node* items = nullptr;
};

std::string describe_got(const YamlNode& n) {
  switch (n.kind) {
    case YamlKind::null:
      return "nothing";
    case YamlKind::sequence:
      return "a list";
    case YamlKind::mapping:
      return "a mapping";
    case YamlKind::scalar:
      if (n.plain && resolve_plain_scalar(n.text) != ScalarType::string) {
        return n.text;
      }
      return fmt::format("\"{}\"", n.text.size() > 60 ? n.text.substr(0, 57) + "..." : n.text);
  }
  return "?";
}

// Characters as the API counts them: UTF-8 code points (continuation bytes are not counted).
size_t code_points(const std::string& text) {
  size_t n = 0;
  for (char c : text) {
    n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  }
  return n;
}

std::string type_phrase(const std::string& type) {
  static const std::map<std::string, std::string> k_phrases = {{"string", "text"},     {"integer", "a whole number"},
                                                               {"number", "a number"}, {"boolean", "true or false"},
                                                               {"array", "a list"},    {"object", "a mapping"}};
  auto it = k_phrases.find(type);
  return it == k_phrases.end() ? type : it->second;
}

std::string format_number(double v) {
  if (v == std::floor(v) && std::abs(v) < 1e15) {
    return fmt::format("{}", static_cast<long long>(v));
  }
  return fmt::format("{}", v);
}

// "4, 8 or 12"
std::string join_or(const std::vector<Poco::Dynamic::Var>& values) {
  std::string out;
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) {
      out += i + 1 == values.size() ? " or " : ", ";
    }
    out += values[i].toString();
  }
  return out;
}

std::optional<double> scalar_number(const YamlNode& n, bool integer_only);

// `name: value` as the user writes it in `syntax`. A list entry (`duration[2]`) has no key of its
// own to write, so it is the value alone.
std::string written_as(const std::string& name, const std::string& value, Syntax syntax) {
  if (name.find('[') != std::string::npos && syntax == Syntax::json) {
    return value;
  }
  return syntax == Syntax::json ? fmt::format("\"{}\": {}", name, value) : fmt::format("{}: {}", name, value);
}

// What to write instead, for the two slips seen most: a number in quotes (duration: "8") and a
// size written with an x (1280x720).
std::string enum_hint(const YamlNode& n, const std::string& name, const std::vector<Poco::Dynamic::Var>& values,
                      Syntax syntax) {
  if (n.kind != YamlKind::scalar) {
    return "";
  }
  for (const auto& v : values) {
    if (v.isNumeric() && !n.plain) {
      YamlNode plain = n;
      plain.plain = true;
      if (scalar_number(plain, false) == v.convert<double>()) {
        return "; write it without quotes: " + written_as(name, n.text, syntax);
      }
    }
    if (v.isString()) {
      std::string wanted = v.extract<std::string>();
      std::string typed = n.text;
      std::replace_if(typed.begin(), typed.end(), [](char c) { return c == 'x' || c == 'X'; }, '*');
      std::erase(typed, ' ');
      if (typed != n.text && typed == wanted) {
        return fmt::format("; did you mean {}?", wanted);
      }
    }
  }
  return "";
}

std::optional<double> scalar_number(const YamlNode& n, bool integer_only) {
  if (n.kind != YamlKind::scalar || !n.plain) {
    return std::nullopt;
  }
  if (auto i = plain_integer(n)) {
    return static_cast<double>(*i);
  }
  if (!integer_only && resolve_plain_scalar(n.text) == ScalarType::floating) {
    try {
      return std::stod(n.text);
    } catch (const std::exception&) {
      return std::nullopt;  // .inf and out-of-range values: not a usable number here
    }
  }
  return std::nullopt;
}

bool matches_type(const YamlNode& n, const std::string& type) {
  if (type.empty()) {
    return true;
  }
  if (type == "object") {
    return n.kind == YamlKind::mapping;
  }
  if (type == "array") {
    return n.kind == YamlKind::sequence;
  }
  if (type == "string") {
    // Any scalar reads as text where text is wanted: `id: 001` means "001", not 1.
    return n.kind == YamlKind::scalar;
  }
  if (type == "integer" || type == "number") {
    return scalar_number(n, type == "integer").has_value();
  }
  if (type == "boolean") {
    return n.kind == YamlKind::scalar && n.plain && resolve_plain_scalar(n.text) == ScalarType::boolean;
  }
  return false;
}

bool in_enum(const YamlNode& n, const std::vector<Poco::Dynamic::Var>& values) {
  if (n.kind != YamlKind::scalar) {
    return false;
  }
  for (const auto& v : values) {
    if (v.isString()) {
      if (v.extract<std::string>() == n.text) {
        return true;
      }
    } else if (v.isNumeric()) {
      auto num = scalar_number(n, false);
      if (num && *num == v.convert<double>()) {
        return true;
      }
    }
  }
  return false;
}

}  // namespace

struct Schema::Impl {
  std::vector<std::unique_ptr<Node>> nodes;  // owns every node; pointers between them are stable
  std::map<std::string, const Node*> definitions;
  const Node* root = nullptr;
  Object::Ptr json;

  const Node* compile(const Object::Ptr& obj, const std::string& where);
  void check(const Node& s, const YamlNode& n, const std::string& name, const std::string& file, Diagnostics& out,
             Syntax syntax) const;
  void check_object(const Node& s, const YamlNode& n, const std::string& file, Diagnostics& out, Syntax syntax) const;
};

const Node* Schema::Impl::compile(const Object::Ptr& obj, const std::string& where) {
  for (const auto& [key, value] : *obj) {
    if (!k_supported_keywords.contains(key)) {
      throw std::invalid_argument(fmt::format("schema {}: keyword '{}' is not supported", where, key));
    }
  }
  if (obj->has("$ref")) {
    std::string ref = obj->getValue<std::string>("$ref");
    const std::string prefix = "#/definitions/";
    if (!ref.starts_with(prefix)) {
      throw std::invalid_argument(fmt::format("schema {}: only local $ref are supported", where));
    }
    std::string name = ref.substr(prefix.size());
    auto defs = json->getObject("definitions");
    if (!defs || !defs->has(name)) {
      throw std::invalid_argument(fmt::format("schema {}: unknown $ref {}", where, ref));
    }
    auto it = definitions.find(name);
    if (it != definitions.end()) {
      return it->second;
    }
    const Node* compiled = compile(defs->getObject(name), ref);
    definitions[name] = compiled;
    return compiled;
  }
  auto node = std::make_unique<Node>();
  Node& s = *node;
  nodes.push_back(std::move(node));
  s.type = obj->optValue<std::string>("type", "");
  if (auto e = obj->getArray("enum")) {
    for (size_t i = 0; i < e->size(); ++i) {
      s.enum_values.push_back(e->get(i));
    }
  }
  if (obj->has("pattern")) {
    s.pattern.emplace(obj->getValue<std::string>("pattern"), std::regex::ECMAScript | std::regex::optimize);
  }
  s.expected = obj->optValue<std::string>("x-expected", "");
  if (obj->has("minLength")) {
    s.min_length = obj->getValue<size_t>("minLength");
  }
  if (obj->has("minimum")) {
    s.minimum = obj->getValue<double>("minimum");
  }
  if (obj->has("maximum")) {
    s.maximum = obj->getValue<double>("maximum");
  }
  if (obj->has("minItems")) {
    s.min_items = obj->getValue<size_t>("minItems");
  }
  if (obj->has("maxLength")) {
    s.max_length = obj->getValue<size_t>("maxLength");
  }
  if (obj->has("maxItems")) {
    s.max_items = obj->getValue<size_t>("maxItems");
  }
  if (auto r = obj->getArray("required")) {
    for (size_t i = 0; i < r->size(); ++i) {
      s.required.push_back(r->getElement<std::string>(i));
    }
  }
  if (auto props = obj->getObject("properties")) {
    for (const auto& name : props->getNames()) {
      s.properties.emplace_back(name, compile(props->getObject(name), where + "/" + name));
    }
  }
  if (obj->has("additionalProperties")) {
    s.closed = !obj->getValue<bool>("additionalProperties");
  }
  if (auto items = obj->getObject("items")) {
    s.items = compile(items, where + "[]");
  }
  return &s;
}

void Schema::Impl::check(const Node& s, const YamlNode& n, const std::string& name, const std::string& file,
                         Diagnostics& out, Syntax syntax) const {
  auto fail = [&](std::string message) { out.push_back({file, n.pos, std::move(message)}); };
  if (!s.enum_values.empty()) {
    // An integer enum takes integers only: 8.0 equals 8 but is not what the job's value is read
    // from (plain_integer), which would then fall back to the default without a word.
    if (!in_enum(n, s.enum_values) || (s.type == "integer" && !matches_type(n, "integer"))) {
      fail(fmt::format("{} must be {} (got {}){}", name, join_or(s.enum_values), describe_got(n),
                       enum_hint(n, name, s.enum_values, syntax)));
    }
    return;
  }
  if (!matches_type(n, s.type)) {
    fail(fmt::format("{} must be {} (got {})", name, type_phrase(s.type), describe_got(n)));
    return;
  }
  if (s.min_length && n.text.size() < *s.min_length) {
    fail(fmt::format("{} must not be empty", name));
    return;
  }
  if (s.max_length && n.kind == YamlKind::scalar && code_points(n.text) > *s.max_length) {
    fail(fmt::format("{} must be at most {} characters (got {})", name, *s.max_length, code_points(n.text)));
    return;
  }
  if (s.pattern && n.kind == YamlKind::scalar && !std::regex_search(n.text, *s.pattern)) {
    fail(fmt::format("{} must be {} (got {})", name, s.expected, describe_got(n)));
    return;
  }
  if (s.minimum || s.maximum) {
    double v = scalar_number(n, false).value_or(0);
    if ((s.minimum && v < *s.minimum) || (s.maximum && v > *s.maximum)) {
      if (s.minimum && s.maximum) {
        fail(fmt::format("{} must be from {} to {} (got {})", name, format_number(*s.minimum),
                         format_number(*s.maximum), n.text));
      } else if (s.minimum) {
        fail(fmt::format("{} must be at least {} (got {})", name, format_number(*s.minimum), n.text));
      } else {
        fail(fmt::format("{} must be at most {} (got {})", name, format_number(*s.maximum), n.text));
      }
      return;
    }
  }
  if (n.kind == YamlKind::sequence) {
    if (s.min_items && s.max_items && *s.min_items == *s.max_items && n.items.size() != *s.max_items) {
      fail(fmt::format("{} must list exactly {} {} (got {})", name, *s.max_items,
                       *s.max_items == 1 ? "entry" : "entries", n.items.size()));
    } else if (s.min_items && n.items.size() < *s.min_items) {
      fail(fmt::format("{} must list at least {} {}", name, *s.min_items, *s.min_items == 1 ? "entry" : "entries"));
    } else if (s.max_items && n.items.size() > *s.max_items) {
      fail(fmt::format("{} must list at most {} {} (got {})", name, *s.max_items,
                       *s.max_items == 1 ? "entry" : "entries", n.items.size()));
    }
    if (s.items) {
      for (size_t i = 0; i < n.items.size(); ++i) {
        check(*s.items, n.items[i], fmt::format("{}[{}]", name, i + 1), file, out, syntax);
      }
    }
  }
  if (n.kind == YamlKind::mapping) {
    check_object(s, n, file, out, syntax);
  }
}

void Schema::Impl::check_object(const Node& s, const YamlNode& n, const std::string& file, Diagnostics& out,
                                Syntax syntax) const {
  for (const auto& key : s.required) {
    if (!n.find(key)) {
      out.push_back({file, n.pos, fmt::format("missing required key '{}'", key)});
    }
  }
  std::vector<std::string> known;
  for (const auto& [key, sub] : s.properties) {
    known.push_back(key);
  }
  for (const auto& e : n.entries) {
    auto it = std::find_if(s.properties.begin(), s.properties.end(), [&](const auto& p) { return p.first == e.key; });
    if (it != s.properties.end()) {
      check(*it->second, e.value, e.key, file, out, syntax);
      continue;
    }
    if (!s.closed) {
      continue;
    }
    std::string near = nearest_word(e.key, known);
    if (!near.empty()) {
      out.push_back({file, e.key_pos, fmt::format("unknown key '{}'; did you mean '{}'?", e.key, near)});
    } else {
      std::string list;
      for (const auto& k : known) {
        list += (list.empty() ? "" : ", ") + k;
      }
      out.push_back({file, e.key_pos, fmt::format("unknown key '{}'; expected one of: {}", e.key, list)});
    }
  }
}

Schema::Schema(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Schema::Schema(Schema&&) noexcept = default;
Schema::~Schema() = default;

Schema Schema::parse(std::string_view json) {
  auto impl = std::make_unique<Impl>();
  Poco::JSON::Parser parser;
  impl->json = parser.parse(std::string(json)).extract<Object::Ptr>();
  impl->root = impl->compile(impl->json, "#");
  return Schema(std::move(impl));
}

const Schema& Schema::manifest() {
  static const Schema k_schema = parse(embedded::manifest_schema_json());
  return k_schema;
}

void Schema::validate(const YamlNode& doc, const std::string& file, Diagnostics& out) const {
  m_impl->check(*m_impl->root, doc, "manifest", file, out, Syntax::yaml);
}

void Schema::validate_as(std::string_view definition, const YamlNode& node, const std::string& name,
                         const std::string& file, Diagnostics& out, Syntax syntax) const {
  auto it = m_impl->definitions.find(std::string(definition));
  if (it == m_impl->definitions.end()) {
    throw std::invalid_argument(fmt::format("schema has no definition '{}'", definition));
  }
  m_impl->check(*it->second, node, name, file, out, syntax);
}

}  // namespace reelq
