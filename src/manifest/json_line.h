#pragma once
// One line of a JSONL file as the tree a YAML job is checked in, with the place of every value.
//
// Poco's JSON parser (used elsewhere) says neither where a value stood nor where a syntax error
// is, and reelq's contract is FILE:LINE:COL on both; a JSONL job line is small and flat, so this
// reads it directly (RFC 8259, nesting bounded).
#include <optional>
#include <string>
#include <string_view>

#include "manifest/yaml_tree.h"
#include "util/diagnostic.h"

namespace reelq {

// Parses `text`, line `line` of `file`. Strings become quoted scalars, numbers and true/false
// plain scalars (as written, so they are typed as in YAML), null a null node, objects mappings
// (duplicate keys are an error) and arrays sequences. On a syntax error returns nullopt and
// appends one diagnostic at its column (in characters, from 1).
std::optional<YamlNode> parse_json_line(std::string_view text, int line, const std::string& file, Diagnostics& errors);

}  // namespace reelq
