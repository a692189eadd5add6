#pragma once
// Where each job of a batch is written now, for advice that says where to edit a failed job. The
// queue keeps a job's request, not its place (a job is its id and its request, wherever it was
// written), so the batch's manifest, whose path the queue keeps per batch, is read again with its
// jobs_from: lists.
#include <filesystem>
#include <map>
#include <string>

#include "manifest/manifest.h"

namespace reelq {

struct JobOrigin {
  std::string file;     // the manifest, or the jobs_from: list the job is a row of (as job_file)
  std::string place;    // "FILE:LINE:COL" where the job starts
  bool listed = false;  // a row of a jobs_from: list
};

// Job id -> where it is written in `m`, read from `manifest_path`.
std::map<std::string, JobOrigin> job_origins(const Manifest& m, const std::filesystem::path& manifest_path);

// The same, reading the manifest at `manifest_path`. Empty when it cannot be read or is not valid
// now (it is being edited, or is gone): the advice then names the manifest, as it always could.
std::map<std::string, JobOrigin> read_job_origins(const std::filesystem::path& manifest_path);

}  // namespace reelq
