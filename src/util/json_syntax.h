#pragma once
// A strict check of JSON's syntax (RFC 8259) for files reelq reads as JSON through its YAML tree:
// that tree would take YAML's looser forms (single quotes, bare words, a stray CSV as one long
// string) and word its errors in YAML's terms. This finds the first place the text stops being
// JSON, so the error can say FILE:LINE:COL and "JSON".
#include <optional>
#include <string>
#include <string_view>

#include "util/diagnostic.h"

namespace reelq {

struct JsonSyntaxError {
  SourcePos pos;        // 1-based line and byte column of the first character that is not JSON
  std::string message;  // what was expected there and what was found: "expected ',' or ']', found '}'"
};

// nullopt when `text` is one JSON value with only whitespace around it (a leading UTF-8 BOM is
// allowed: editors on Windows add one). Nesting deeper than 256 is refused rather than recursed.
std::optional<JsonSyntaxError> check_json_syntax(std::string_view text);

}  // namespace reelq
