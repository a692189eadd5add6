#pragma once
// Where a result file goes. Nothing from a manifest or an API answer can point outside the
// output folder: names are built from the job id alone, re-sanitised here even though the manifest
// check already restricts ids, because the database can be edited by hand.
#include <filesystem>
#include <string>

namespace reelq {

// JOBID.mp4 for a job with one take, JOBID-tN.mp4 with several; a task's second and later result
// URLs add -2, -3, ... before the extension.
std::string result_file_name(const std::string& job_id, int take, int takes, int url_index);

// `name` made safe as a single path component: characters outside [A-Za-z0-9._-] become '_',
// leading dots are dropped, empty becomes "_".
std::string safe_component(const std::string& name);

// True when `path`, resolved lexically, lies inside `dir`.
bool is_inside(const std::filesystem::path& dir, const std::filesystem::path& path);

}  // namespace reelq
