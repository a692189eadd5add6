#pragma once
// Which queue database a command uses. The queue follows the batch, not the shell's folder:
// commands with a manifest (run, enqueue) default to reelq.db beside the manifest; the others find
// it from where the user stands. Either way `--db PATH` wins, then the REELQ_DB variable.
#include <filesystem>
#include <string>

#include "util/result.h"
#include "util/text.h"

namespace reelq {

inline constexpr const char* k_default_db_name = "reelq.db";

enum class DbSource { flag, environment, beside_manifest, found };

struct DbLocation {
  std::filesystem::path path;  // absolute
  DbSource source = DbSource::flag;
};

// For a command given `manifest` (of batch `batch`): --db (`flag`, "" = not given), else REELQ_DB,
// else reelq.db in the manifest's folder. Relative paths are taken from `cwd`. A queue an older
// reelq left in `cwd` (./reelq.db holding this batch) while the one beside the manifest does not
// exist yet is refused rather than forgotten: a new queue would render the whole batch again.
Result<DbLocation> db_for_manifest(const std::string& flag, const std::filesystem::path& manifest,
                                   const std::string& batch, const std::filesystem::path& cwd);

// For a command without a manifest: --db, else REELQ_DB, else, from `cwd` up to the root, the first
// folder that is an output folder of reelq's (its .reelq-queue names the database) or holds a
// reelq.db. Not found is a usage error that says what to pass.
Result<DbLocation> db_without_manifest(const std::string& flag, const std::filesystem::path& cwd);

}  // namespace reelq
