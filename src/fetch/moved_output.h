#pragma once
// A batch's output folder renamed or moved by its user (`mv renders/acme renders/acme-DELIVERED`).
// The folder carries its `.reelq-queue` claim (this queue's id and the batch), and each result file
// its name and SHA-256, as the queue recorded them: that is how the folder is recognised where it
// is now, so its files are neither reported missing nor fetched again, and the old folder is never
// re-created by a download.
#include <SQLiteCpp/Database.h>

#include <filesystem>
#include <string>
#include <vector>

#include "util/result.h"

namespace reelq {

struct OutputMove {
  std::string batch;
  std::string from;  // the folder as recorded, gone
  std::string to;    // where its claim is now
  int files = 0;     // result files recognised there (name and SHA-256)
};

// For each batch whose recorded folder (its output folder, or a folder its results were written
// to) no longer exists, looks for a folder whose .reelq-queue claims the batch for this queue: first
// `cwd` and the folders above it (where the user stands), then the missing folder's siblings (a
// rename). Found, it becomes the batch's output folder (when the missing one was), and each result
// file recorded in the missing folder that is there with the same SHA-256 is recorded there. A file
// that differs stays missing: it is not the render any more.
Result<std::vector<OutputMove>> follow_moved_output_folders(SQLite::Database& db, const std::filesystem::path& cwd);

}  // namespace reelq
