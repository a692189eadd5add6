#pragma once
// The command that starts a `reelq run` again, for the lines that say what to type next.
#include <string>

#include "cli/commands.h"

namespace reelq {

// `reelq run MANIFEST --db DB ...` as it was given: every flag kept (a Free-plan user's --rpm 10
// --max-concurrent 3 must not fall back to the defaults), every path absolute, each word
// shell-quoted. The key is never a flag, so nothing secret is spelled out.
std::string run_again(const std::string& manifest_path, const RunFlags& flags);

}  // namespace reelq
