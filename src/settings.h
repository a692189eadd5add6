#pragma once
// Every knob of the runner, with its default. Defaults are filled first, then a manifest's
// `settings:` block, then environment, then flags (later layers win); nothing else sets them.
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace reelq {

enum class OnAmbiguous { resubmit, hold };
enum class RequestType { async, callback };

struct Settings {
  std::string api_base = "https://api.apixo.ai";  // --api-base, REELQ_API_BASE; never a manifest
  int rpm = 60;                                   // API requests per rolling minute (Pro plan)
  int max_concurrent = 10;                        // tasks pending or processing at the API (Pro plan)
  double poll_initial = 120;                      // s after submit before the first status poll
  double poll_interval = 2;                       // s between polls of one task, at the least
  std::string output_dir;                         // "" = renders/BATCH next to the manifest
  // The manifest's folder when the manifest chose output_dir (its setting or the default, or the
  // folder an earlier run resolved from them); "" when --output-dir or REELQ_OUTPUT_DIR did. From
  // there down to output_dir nothing may be a link (cli/output_folder.h): not a setting.
  std::string output_dir_home;
  int download_concurrency = 4;
  // A result file past this is no video (an endless stream): its download stops there and fails.
  int max_download_mb = 4096;
  int max_attempts = 5;  // per job, for transient errors (429s never count)
  // The most the batch may cost, in the price table's currency: no render is submitted that could
  // take its spend over it (sched/spend_cap.h). None by default.
  std::optional<double> max_spend;
  OnAmbiguous on_ambiguous = OnAmbiguous::resubmit;
  RequestType request_type = RequestType::async;
  double time_scale = 1;  // multiplies the runner's own time constants
  // s after submit before a task still rendering is given up on (RENDER_TIMEOUT, taskId kept for
  // `reelq resume`); scaled like the other times. Renders take about 3 minutes, rarely 10.
  double render_deadline = 3600;
  // s a run whose credits ran out keeps reading the balance (every few minutes, within the budget)
  // for a top-up, submitting again when one comes; scaled. 0: collect what runs and end (exit 3).
  double wait_for_credits = 0;
  // reelq's own HTTP listener (src/listen/), for callbacks and local reference images.
  std::string listen;      // "" = none; else HOST:PORT to bind (--listen)
  std::string public_url;  // how the API reaches the listener, e.g. https://tunnel.example.com
  std::string tls_cert;    // PEM files: the listener speaks HTTPS when both are set
  std::string tls_key;
  std::string image_base_url;  // local images are already at this base (checked by SHA-256)
};

}  // namespace reelq

#include "util/result.h"

namespace reelq {

// Whether `url`'s host is this machine: localhost, 127.x.x.x or [::1].
bool is_loopback_host(const std::string& url);

// What is wrong with `url` as the API base, as "must be ..." words, or nullopt. The key goes with
// every request: only https, or plain http to this machine (the simulator, tests).
std::optional<std::string> api_base_problem(const std::string& url);

// The keys of Settings, as the manifest's settings: block, REELQ_<KEY> variables and --<key>
// flags (with '-' for '_') name them.
const std::vector<std::string>& setting_keys();

// How a command line spells a setting: "--rpm", "--on-ambiguous", "--mode" (for request_type).
std::string setting_flag(const std::string& key);

// Sets one field from text. `source` names where the value came from, for the error message
// ("--rpm", "REELQ_RPM", "settings.rpm in city.yaml").
Status apply_setting(Settings& s, const std::string& key, const std::string& value, const std::string& source);

// The manifest layer: the settings: block as stored (Manifest::settings_json).
Status apply_settings_json(Settings& s, const std::string& json, const std::string& source);

// The environment layer: every REELQ_<KEY> that is set.
Status apply_settings_env(Settings& s);

// (key, value) of setting flags, in the order given.
using SettingFlags = std::vector<std::pair<std::string, std::string>>;

// The API base a command was told to use by --api-base (in `flags`) or REELQ_API_BASE, as the
// settings read it (no trailing '/'); nullopt when neither names one (or names it wrongly: the
// command's own settings say so later).
std::optional<std::string> named_api_base(const SettingFlags& flags);

// Where a batch's settings come from, lowest precedence first.
struct SettingsLayers {
  std::string batch;
  std::string manifest_path;  // absolute; relative folders in it are taken from its folder
  std::string manifest_settings_json = "{}";
  std::string remembered_flags_json = "{}";  // the setting flags of the batch's last run (absolute paths)
  std::string stored_output_dir;             // the folder an earlier run of the batch resolved ("" = none)
  std::string stored_api_base;               // the API an earlier run sent the batch to ("" = none recorded)
  double stored_time_scale = 0;              // ... and the time scale it ran at
  SettingFlags flags;                        // (key, value) of the flags given
  std::filesystem::path cwd;                 // relative folders in flags and environment are taken from here
};

// Defaults, then the manifest's settings: block, then the flags the batch's last run was given
// (remembered), then REELQ_<KEY> variables, then flags. The output
// folder: flags, then environment, then the one the batch already uses (so a resume never splits a
// batch across folders), then the manifest's, then renders/BATCH beside the manifest. Always absolute.
// The API base and time scale likewise: flags, then environment, then the pair an earlier run
// recorded (its tasks can only be polled there), then the manifest's (the time scale only: a
// manifest never names the API base, which goes with the key; the default is used). An API base
// that api_base_problem() refuses is refused from any layer. The stored scale belongs to
// the stored API: a batch pointed at another API without a scale of its own takes the manifest's
// (or the default), never a simulator's 0.01 against the real API.
// TLS files are absolute: relative paths in the manifest from its folder, in flags and variables
// from `cwd`.
Result<Settings> resolve_settings(const SettingsLayers& layers);

// What the batch remembers after a run given `flags`: the flags remembered before, then these
// (which win), relative paths made absolute from `cwd`, as a JSON object. Not the API base, time
// scale or output folder, which the batch keeps on their own (SettingsLayers::stored_*).
std::string merge_run_flags(const std::string& remembered_json, const SettingFlags& flags,
                            const std::filesystem::path& cwd);

// The remembered flags this run uses without being given them again (by flag or REELQ_ variable),
// as a command line would spell them: "--on-ambiguous hold --mode callback". "" when none. One the
// manifest's settings (`manifest_json`) set otherwise says so, as it wins over the manifest unseen:
// "--max-spend 13 (over the manifest's max_spend: 20)".
std::string remembered_in_use(const std::string& remembered_json, const SettingFlags& flags,
                              const std::string& manifest_json = "{}");

}  // namespace reelq
