#pragma once
// Which manifest file a batch belongs to. A batch is made from one manifest file; enqueueing
// another file into it (a copy that kept the `batch:` line) would merge two manifests into one
// batch and one folder, so `run` and `enqueue` ask this first. The one place that decides it.
#include <filesystem>
#include <string>

namespace reelq {

// Whether `recorded` (a batch's manifest_path as the queue stores it: absolute, or relative to
// the queue's folder `queue_dir`) names the manifest file at `manifest`. The same file when the
// recorded one exists (symbolic links and `..` resolved); when it no longer exists (the project
// folder was moved or renamed since), the same file name. A recorded relative path compares with
// `manifest` relative to `queue_dir`, which survives a move of the whole project.
bool same_manifest_file(const std::string& recorded, const std::filesystem::path& manifest,
                        const std::filesystem::path& queue_dir);

}  // namespace reelq
