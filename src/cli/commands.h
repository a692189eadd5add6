#pragma once
// One function per command; each returns its exit code and writes only to `out` and `err`.
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "cli/finish_hooks.h"
#include "cli/progress.h"
#include "queue/operations.h"
#include "queue/queue.h"
#include "settings.h"
#include "sim/sim_config.h"

namespace reelq {

struct CommandIo {
  std::ostream& out;
  std::ostream& err;
};

int cmd_validate(const std::vector<std::string>& files, CommandIo io);
// `db_flag`: --db as given ("" = REELQ_DB, else reelq.db beside the manifest).
int cmd_enqueue(const std::string& manifest, const std::string& db_flag, const EnqueueOptions& options, CommandIo io);
// `window`: the spend lines count the submits made in it (--since/--until).
int cmd_status(const std::string& db_path, const std::optional<std::string>& batch, bool json, const TimeWindow& window,
               CommandIo io);
// `reelq status --failed`: the failed takes, each with its reason and what to type (cli/failed_view.h).
int cmd_failed(const std::string& db_path, const std::optional<std::string>& batch, CommandIo io);

struct RunFlags {
  std::string db;  // --db; "" = REELQ_DB, else beside the manifest (run) or found (resume)
  std::string api_key_file;
  std::string keys_file;  // --keys; "" = REELQ_KEYS, else the key of --api-key-file / APIXO_API_KEY
  std::string ca_file;
  std::vector<std::pair<std::string, std::string>> settings;  // (key, value) of the setting flags given
  OutputStyle style = OutputStyle::plain;
  bool replace_changed = false;
  bool keep_removed = false;   // queued jobs no longer in the manifest stay queued (run)
  bool into_batch = false;     // enqueue into a batch made from another manifest file, on purpose (run)
  bool allow_partial = false;  // start even when the balance cannot pay for every render left
  // --drop-key NAME: give up the batch's tasks made with key NAME (by name or fingerprint) when this
  // run was not given that key (they fail KEY_DROPPED); repeatable.
  std::vector<std::string> drop_keys;
  std::string prices;  // price table for the balance check ("" = REELQ_PRICES, else built-in)
  FinishHooks hooks;   // --on-finish, --notify, --hook-timeout (run and resume)
};

int cmd_run(const std::string& manifest, const RunFlags& flags, CommandIo io);
// `reelq run --rehearse`: the whole batch against the built-in simulator, in a folder and a
// database of its own, at a time scale that takes about a minute; then its reports.
int cmd_rehearse(const std::string& manifest, const RunFlags& flags, CommandIo io);
int cmd_resume(const std::optional<std::string>& batch, const RunFlags& flags, CommandIo io);

int cmd_sim(const SimConfig& config, const std::string& port_file, CommandIo io);

struct ReportFlags {
  std::string db;
  std::optional<std::string> batch;
  std::string format;                // csv | json | html; "" = from the -o file's extension, else csv
  std::string output;                // "" = stdout
  std::string prices;                // price table for the spend shown ("" = REELQ_PRICES, else built-in)
  TimeWindow window;                 // --since/--until: the spend shown counts the submits made in it
  std::optional<std::string> state;  // only the takes in this state
};
int cmd_report(const ReportFlags& flags, CommandIo io);
int cmd_batches(const std::string& db_path, const TimeWindow& window, CommandIo io);

struct EstimateFlags {
  std::string manifest;
  std::string prices;                                         // "" = REELQ_PRICES, else the built-in table
  std::vector<std::pair<std::string, std::string>> settings;  // rpm, max_concurrent given as flags
  std::string keys_file;                                      // --keys (else REELQ_KEYS): the pool's slots
};
int cmd_estimate(const EstimateFlags& flags, CommandIo io);

int cmd_retry(const std::string& db_path, const JobSelector& selector, CommandIo io);
int cmd_cancel(const std::string& db_path, const JobSelector& selector, CommandIo io);
int cmd_download(const std::string& db_path, const std::optional<std::string>& batch, const std::string& ca_file,
                 CommandIo io);

struct DeliverFlags {
  std::string db;
  std::string to;                     // the delivery folder (created if missing)
  std::string picks;                  // the review page's export ("" = every succeeded take)
  std::optional<std::string> batch;   // else the picks' batch, else every batch
  std::string name = "{job}-{take}";  // deliver/delivery_name.h
  bool from_rehearsal = false;        // deliver a rehearsal's placeholders (to try names and a folder)
  bool copy = false;                  // always copy, never hard-link (a folder that will be edited)
};
// `reelq deliver`: succeeded (or picked) takes linked or copied into a folder (src/deliver/).
int cmd_deliver(const DeliverFlags& flags, CommandIo io);

// Maps an Error's kind to the process exit code.
int exit_code_for(const Error& error);

// Prints an error for people: manifest errors as they are (FILE:LINE:COL lines), others after
// "reelq: ". Returns the exit code for it.
int report_error(std::ostream& err, const Error& error);

// The queue database at `path`, which must exist already (commands that only read or change a
// queue never create one by accident).
Result<std::unique_ptr<Queue>> open_existing_queue(const std::string& path);

// The queue database at `path` (created if missing), with any output folder its user renamed or
// moved found where it is now, seen from the current folder (fetch/moved_output.h).
Result<std::unique_ptr<Queue>> open_queue(const std::string& path, DbPrivacy privacy = DbPrivacy::umask);

// A manifest's settings before anything is enqueued (estimate, rehearse): its settings: block,
// then REELQ_* variables, then `flags`, as resolve_settings layers them.
Result<Settings> manifest_settings(const Manifest& manifest, const std::string& manifest_path,
                                   const std::vector<std::pair<std::string, std::string>>& flags);

// The price table to use: `flag`, else REELQ_PRICES, else the built-in one.
std::string prices_path(const std::string& flag);

}  // namespace reelq
