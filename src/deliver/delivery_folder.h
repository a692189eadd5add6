#pragma once
// Which folders `reelq deliver --to` may fill: checked before anything is created, so a refused
// folder is left exactly as it was.
#include <filesystem>
#include <string>
#include <vector>

#include "util/result.h"

namespace reelq {

// A folder reelq writes its renders into, and the batch that owns it (for the message).
struct OutputFolder {
  std::filesystem::path path;
  std::string batch;
};

// Refuses `to` (ErrorKind::usage, saying why and what to pass instead) when it is:
// - a symbolic link: the client's files would go wherever it points, which a cloned project or
//   another user can choose;
// - a file or anything else that is not a folder;
// - one of `outputs` or inside one: the client's copies would mix with reelq's renders, and a
//   client folder that is edited would be edited in reelq's own folder;
// - a folder holding one of `outputs`: handing it over would hand reelq's renders over too.
// A `to` that does not exist yet is fine otherwise (deliver makes it).
Status check_delivery_folder(const std::filesystem::path& to, const std::vector<OutputFolder>& outputs);

// `p` without the slashes at its end: "v2/" names v2 itself, and with the slash lstat() and
// open(O_NOFOLLOW) would look through a link named v2 instead of seeing it.
std::filesystem::path without_trailing_slash(const std::filesystem::path& p);

}  // namespace reelq
