#pragma once
// The folder a batch's results go to, as `reelq run`/`resume` take it: free of another queue's
// results, created and claimed for this queue, half-written files of a killed run removed, and a
// result deleted since it was downloaded fetched again.
#include <SQLiteCpp/Database.h>

#include <filesystem>
#include <ostream>
#include <string>

#include "cli/progress.h"
#include "manifest/manifest.h"
#include "queue/run_store.h"
#include "settings.h"
#include "util/result.h"

namespace reelq {

// The output folder was chosen by this user: --output-dir now, or the manifest's folder
// (Settings::output_dir_home) reached through no symbolic link (one planted there would send
// reelq's writes anywhere), or a folder outside it that this user's --output-dir chose for the
// queue `queue_id` before (keys/trust_file.h; a database from elsewhere may name any folder).
Status check_output_folder_origin(const Settings& settings, const std::string& queue_id);

// The folder must not hold another queue's results for `batch` (the same manifest run with another
// database would render it all again). `queue_id` "" is a queue not created yet.
Status check_output_folder(const std::string& batch, const std::string& queue_id, const std::filesystem::path& dir);

// The same before the queue at `db` is created or written (it may not exist yet): the folder a run
// of `manifest` with `flags` would fill.
Status precheck_output_folder(const Manifest& manifest, const std::string& manifest_path, const std::string& db,
                              const SettingFlags& flags);

// Claims `settings.output_dir` for the queue `queue_id` at `db` (created if missing), removes what
// a killed run left half-written, and records it as the batch's folder. A folder that cannot be
// created or written is a usage error: nothing was sent. Returns the notice to give when the batch
// moved to another folder ("" when it did not).
Result<std::string> take_output_folder(RunStore& store, const BatchInfo& batch, const Settings& settings,
                                       const std::string& queue_id, const std::string& db);

// A take `succeeded` whose file has gone from disk since (deleted, moved) would make the run's "all
// done" a lie: it goes back to `downloading`, said on `out` in `style`, and the run fetches it again
// from its result URL (or fails it DOWNLOAD_FAILED if that URL has expired).
Status refetch_deleted_results(SQLite::Database& db, RunStore& store, const std::string& batch, OutputStyle style,
                               std::ostream& out);

// The summary's "files:": the batch's output folder, and any folder that holds files it
// downloaded before it moved.
std::string files_line(RunStore& store, const std::string& batch, const std::string& output_dir);

}  // namespace reelq
