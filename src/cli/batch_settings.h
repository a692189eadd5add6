#pragma once
// A stored batch's settings as a run of it resolves them: the manifest's block as enqueued, the
// flags its last run was given, the API, time scale and folder it recorded, the environment,
// then `flags`. `run`, `resume` and `download` all read a batch's settings through here.
#include <SQLiteCpp/Database.h>

#include <string>

#include "manifest/manifest.h"
#include "queue/run_store.h"
#include "settings.h"
#include "util/result.h"

namespace reelq {

Result<Settings> stored_batch_settings(const BatchInfo& batch, const SettingFlags& flags);

// The settings a run of `manifest` will use: its batch as the queue `db` stores it (the API and time
// scale it ran with, its output folder), with the manifest's settings as they are now. `db` is
// nullptr when the queue does not exist yet.
Result<Settings> manifest_batch_settings(SQLite::Database* db, const Manifest& manifest,
                                         const std::string& manifest_path, const SettingFlags& flags);

}  // namespace reelq
