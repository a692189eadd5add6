#pragma once
// Text files a manifest names beside itself: the job lists of jobs_from: and the prompts of
// prompt_file:.
#include <cstdint>
#include <filesystem>
#include <string>

namespace reelq {

struct SideFile {
  std::string text;     // the whole file, when `problem` is empty
  std::string problem;  // why it cannot be used, as a sentence fragment after its name
};

// Reads `entry`, relative to `base_dir`. What is read may be sent to the API (a prompt), and a
// manifest may come from someone else, so, as for local images, the file must lie inside
// `base_dir` with links resolved, be a regular file (not a FIFO that would block, nor a device),
// and hold at most `max_bytes`; it is not opened before those checks pass.
SideFile read_side_file(const std::string& entry, const std::filesystem::path& base_dir, std::uintmax_t max_bytes);

}  // namespace reelq
