#include "cli/batch_settings.h"

#include <filesystem>

namespace reelq {

Result<Settings> stored_batch_settings(const BatchInfo& batch, const SettingFlags& flags) {
  SettingsLayers layers;
  layers.batch = batch.name;
  layers.manifest_path = batch.manifest_path;
  layers.manifest_settings_json = batch.settings_json;
  layers.remembered_flags_json = batch.run_flags_json;
  layers.stored_output_dir = batch.output_dir;
  layers.stored_api_base = batch.api_base;
  layers.stored_time_scale = batch.time_scale;
  layers.flags = flags;
  layers.cwd = std::filesystem::current_path();
  return resolve_settings(layers);
}

Result<Settings> manifest_batch_settings(SQLite::Database* db, const Manifest& manifest,
                                         const std::string& manifest_path, const SettingFlags& flags) {
  BatchInfo stored;
  if (db) {
    if (auto b = RunStore(*db, system_clock()).batch(manifest.batch)) {
      stored = *b;
    }
  }
  stored.name = manifest.batch;
  stored.manifest_path = std::filesystem::absolute(manifest_path).string();
  stored.settings_json = manifest.settings_json;
  return stored_batch_settings(stored, flags);
}

}  // namespace reelq
