#pragma once
// A stored batch's settings as a run of it resolves them: the manifest's block as enqueued, the
// flags its last run was given, the API, time scale and folder it recorded, the environment,
// then `flags`. `run`, `resume` and `download` all read a batch's settings through here.
#include "queue/run_store.h"
#include "settings.h"
#include "util/result.h"

namespace reelq {

Result<Settings> stored_batch_settings(const BatchInfo& batch, const SettingFlags& flags);

}  // namespace reelq
