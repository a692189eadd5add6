#pragma once
// A problem found in a user's input, with the place it was found.
#include <string>
#include <vector>

namespace reelq {

// 1-based line and column; 0 means "no position known".
struct SourcePos {
  int line = 0;
  int col = 0;
};

struct Diagnostic {
  std::string file;  // the name the user gave the file, as they gave it
  SourcePos pos;
  std::string message;

  // "file:line:col: message", the form editors and compilers use.
  std::string to_string() const;
};

using Diagnostics = std::vector<Diagnostic>;

std::string to_string(const Diagnostics& diags);  // one per line, each ending in '\n'

}  // namespace reelq
