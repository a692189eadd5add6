#pragma once
// Where a queue's recorded paths are now. The database records its batches' manifest, output
// folder, result files and local images as absolute paths, and its own path (database_info key
// 'path'). A database opened from another folder while nothing is left where it was (its project
// folder was moved or renamed) takes the paths inside its old folder along: each one is rewritten
// into the new folder, so a moved project works as if it had never moved.
#include <SQLiteCpp/Database.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "util/result.h"

namespace reelq {

// `stored` with its leading folder `from` replaced by `to`; nullopt when `stored` is not `from` or
// inside it (a path that merely starts with the same letters, /a/night-archive for /a/night, is not).
std::optional<std::string> rebased(std::string_view stored, std::string_view from, std::string_view to);

// `json` with every string value that is `lead` followed by `from` or a path inside it rebased
// onto `to` (lead "" for plain paths, "file://" for local image URIs). Exact on reelq's own JSON,
// whose strings are written by json_quote.
std::string rebased_in_json(const std::string& json, std::string_view lead, std::string_view from, std::string_view to);

// Rewrites every recorded path inside `from` (batches' manifest, output folder and run flags,
// result files' folders, jobs' local images) into `to`, in one transaction. Returns how many
// rows changed.
Result<int> rebase_recorded_paths(SQLite::Database& db, const std::string& from, const std::string& to);

struct QueueMove {
  std::string from;  // the database's folder as recorded
  std::string to;    // its folder now
  int rows = 0;      // rows whose paths were rewritten
};

// Called on every open: records the database's canonical path the first time, and when the
// database is found elsewhere and its recorded path no longer exists (moved, not copied), rebases
// the paths inside its old folder onto the new one. A database from before the path was recorded
// is taken as moved from the folder of a recorded path that is gone while the same relative path
// exists beside the database now. A copy whose original is still in place keeps its paths.
Result<std::optional<QueueMove>> follow_queue_move(SQLite::Database& db, const std::filesystem::path& db_path);

}  // namespace reelq
