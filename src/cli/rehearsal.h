#pragma once
// `reelq run --rehearse` (cmd_rehearse in cli/commands.h): the whole batch against the built-in
// simulator, in a folder and a database of its own beside the real ones, at a time scale that takes
// about a minute; then the simulator's figures and the batch's reports. The pieces it is decided
// from, pure, are here.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/drain.h"
#include "manifest/manifest.h"
#include "settings.h"
#include "sim/sim_config.h"

namespace reelq {

// The rehearsal's folder: the batch's output folder + ".rehearsal", so its placeholder videos never
// land among real renders. Its database is rehearsal.db inside it.
std::filesystem::path rehearsal_folder(const Settings& settings);

// The built-in simulator for `manifest`: the plan's caps, credits that never run out, a few of a
// real night's faults (seeded, so a rehearsal repeats), and a time scale that makes the batch take
// about a minute unless --time-scale was given (`scale_given`).
SimConfig rehearsal_sim_config(const Manifest& manifest, const Settings& settings, bool scale_given);

// The run's flags pointed at the rehearsal: its database, the simulator at `api_base` and its time
// scale, its folder, and (when `listen_port`) the listener on loopback, where the simulator calls
// back and fetches images (it reaches nothing else).
RunFlags rehearsal_run_flags(const RunFlags& flags, const std::string& db, const std::string& api_base,
                             double time_scale, const std::filesystem::path& dir, std::optional<int> listen_port);

// What the simulator saw, from its stats JSON, as the line (ending in "\n") after the summary; with
// several keys, a line more per key.
std::string sim_stats_line(const std::string& stats_json);

// A rehearsal of a pool (`--keys FILE`): the keys file's names and plans, with stand-in keys (a
// rehearsal needs no key, and never sends a real one anywhere). The simulator gets one key per
// entry with the entry's caps (the settings' where it names none).
struct RehearsalKeys {
  std::vector<SimKey> sim;   // for SimConfig::keys
  DrainOptions options;      // key and more_keys, stand-in secrets
  std::string first_secret;  // drain()'s key
};
Result<std::optional<RehearsalKeys>> rehearsal_keys(const RunFlags& flags, const Settings& settings);

}  // namespace reelq
