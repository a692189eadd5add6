#pragma once
// Where a result file goes. Nothing from a manifest or an API answer can point outside the
// output folder: names are built from the job id alone, re-sanitised here even though the manifest
// check already restricts ids, because the database can be edited by hand.
#include <filesystem>
#include <string>

namespace reelq {

// JOBID-tN.mp4 for take N, whatever the job's number of takes (raising `takes` later adds files
// named like the first); a task's second and later result URLs add -2, -3, ... before the
// extension. No two (id, take, index) give one name: a name ends in -t<digits> or
// -t<digits>-<digits> and ids cannot make that ambiguous (see docs/manifest.md).
std::string result_file_name(const std::string& job_id, int take, int url_index);

// The name a result takes when `name` is already held by a file reelq did not write for it:
// NAME~2.mp4, NAME~3.mp4, ... ('~' is not allowed in ids, so no result is ever named like it).
std::string kept_aside_name(const std::string& name, int n);

// `name` made safe as a single path component: characters outside [A-Za-z0-9._-] become '_',
// leading dots are dropped, empty becomes "_".
std::string safe_component(const std::string& name);

// True when `path`, resolved lexically, lies inside `dir`.
bool is_inside(const std::filesystem::path& dir, const std::filesystem::path& path);

}  // namespace reelq
