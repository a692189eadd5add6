#pragma once
// A YAML document as a light tree that remembers where each value stood.
//
// Built from yaml-cpp's event parser rather than YAML::Node because we need what YAML::Node drops
// or hides: duplicate keys, whether a scalar was quoted, and positions on every key. It is also a
// fraction of YAML::Node's size, which matters for 100,000-job manifests.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/diagnostic.h"

namespace reelq {

enum class YamlKind { null, scalar, sequence, mapping };

struct YamlEntry;

struct YamlNode {
  YamlKind kind = YamlKind::null;
  SourcePos pos;
  std::string text;                // scalar text as written (without quotes)
  bool plain = false;              // an unquoted scalar: its type is resolved by YAML 1.2's core schema
  std::vector<YamlNode> items;     // sequence
  std::vector<YamlEntry> entries;  // mapping, in document order, duplicates kept

  const YamlNode* find(std::string_view key) const;  // first entry with that key, or nullptr
};

struct YamlEntry {
  std::string key;
  SourcePos key_pos;
  YamlNode value;
};

// How a plain scalar reads under YAML 1.2's core schema.
enum class ScalarType { string, integer, floating, boolean };
ScalarType resolve_plain_scalar(std::string_view text);

// The value of a plain scalar that reads as an integer (`12`, `-3`, `+5`, `0x1F`, `0o17`), or
// nullopt when it is not one or does not fit in 64 bits. The schema's checks and the values used
// afterwards both come from here, so what is checked is what is used.
std::optional<long long> plain_integer(const YamlNode& n);

struct YamlDocument {
  YamlNode root;
  bool empty = true;  // no document at all (empty file or only comments)
};

// Parses `text`. Errors (syntax, tabs in indentation, non-scalar keys, duplicate keys, more than
// one document) are appended to `errors` with `file` as their file name; the tree is meaningful only
// when no error was added.
YamlDocument parse_yaml(std::string_view text, const std::string& file, Diagnostics& errors);

}  // namespace reelq
