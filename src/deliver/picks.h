#pragma once
// The review page's export (docs/cli.md, "Deliveries"): which takes a person picked, rejected or
// starred. `reelq deliver --picks` reads it to deliver only the keepers.
//
//   {"version":1,"batch":"<batch or null>","queue":"<queue id or null>",
//    "marks":[{"job":"<job id>","take":<take number>,"mark":"pick"|"reject"|"star"}]}
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "util/result.h"

namespace reelq {

struct Picks {
  std::optional<std::string> batch;               // null: the marks name takes of any batch
  std::set<std::pair<std::string, int>> keepers;  // (job id, take) marked pick or star
  std::optional<std::string> queue;               // the id of the queue the page was made from (null: any)
};

// Parses the export's text; `file` names it in errors ("FILE:LINE:COL: message", ErrorKind::input).
// A later mark of the same take replaces an earlier one, as the page keeps only the last.
Result<Picks> parse_picks(std::string_view text, const std::string& file);

// Reads and parses the file at `path`.
Result<Picks> load_picks(const std::string& path);

}  // namespace reelq
