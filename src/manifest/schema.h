#pragma once
// Checks a YAML tree against a JSON Schema (draft-07), reporting each violation at its position.
//
// Why not valijson: it decides validity well, but says where only as a JSON path and why only in
// generic words ("Failed to match against any enum values"); reelq's contract is an exact,
// positioned, actionable message such as "duration must be 4, 8 or 12 (got 10)". This checker
// implements the keywords schemas/manifest.schema.json uses -- type, enum, pattern, minLength,
// minimum, maximum, minItems, required, properties, additionalProperties: false, items and local
// $ref -- and refuses a schema that uses any other, so the file and the checker cannot drift apart.
#include <memory>
#include <string>
#include <string_view>

#include "manifest/yaml_tree.h"
#include "util/diagnostic.h"

namespace reelq {

// The syntax a checked document was written in, so advice reads as the user would write the fix:
// `duration: 8` in a manifest, `"duration": 8` in a JSONL job list.
enum class Syntax { yaml, json };

class Schema {
 public:
  // Parses a schema document; throws std::invalid_argument on a schema this checker cannot honour
  // (a programming error: the schema ships with the binary).
  static Schema parse(std::string_view json);
  // schemas/manifest.schema.json as compiled into the binary, parsed once.
  static const Schema& manifest();

  // Appends one diagnostic per violation in `doc`; `file` names the document in messages.
  void validate(const YamlNode& doc, const std::string& file, Diagnostics& out) const;
  // Checks `node` against one of the schema's definitions ("job" for a row of a job list),
  // `name` naming it in messages. Throws std::invalid_argument for a definition the schema lacks.
  void validate_as(std::string_view definition, const YamlNode& node, const std::string& name, const std::string& file,
                   Diagnostics& out, Syntax syntax = Syntax::yaml) const;

  Schema(Schema&&) noexcept;
  ~Schema();

 private:
  struct Impl;
  explicit Schema(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m_impl;
};

}  // namespace reelq
