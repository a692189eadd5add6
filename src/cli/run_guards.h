#pragma once
// What `reelq run`/`resume` refuse before anything is sent, as Errors for the caller to report (the
// one place that turns them into exit codes, cli/commands.h). Nothing here prints.
#include <optional>
#include <string>

#include "queue/run_store.h"
#include "sched/balance_check.h"
#include "settings.h"
#include "util/result.h"

namespace reelq {

// A rehearsal's database talks only to a simulator on this machine: never to a real, paid API
// (`api_base` not on loopback), and not to its own built-in simulator once that is gone (the
// batch's stored API, with no --api-base given). `db`: the database's path, for the message.
Status check_rehearsal_db(const BatchInfo& batch, const Settings& settings, bool api_base_given, const std::string& db);

// Whether `batch` rendered at an API on this machine and `settings` now send it elsewhere.
bool simulated_to_real(const BatchInfo& batch, const Settings& settings);

// A batch that sent `takes_sent` takes to a simulator on this machine holds placeholder videos
// counted as done: sending the rest to a real API is refused (nothing happened there: allowed).
Status check_simulated_to_real(const BatchInfo& batch, const Settings& settings, int takes_sent, const std::string& db);

// The two above, reading what they need from `store`.
Status refuse_for_rehearsal(RunStore& store, const BatchInfo& batch, const Settings& settings,
                            const SettingFlags& flags, const std::string& db);
Status refuse_simulated_to_real(RunStore& store, const BatchInfo& batch, const Settings& settings,
                                const std::string& db);

// A batch goes back to the API its last run recorded (`resume` names none) only if a run of this
// user recorded that API for this queue (keys/trust_file.h): a database from elsewhere could name any
// host, and the key goes with every request. ok when the API is the default one, or --api-base or
// REELQ_API_BASE named it in `flags` (the user's own choice, which a run then records).
Status refuse_untrusted_api(const std::string& queue_id, const BatchInfo& batch, const Settings& settings,
                            const SettingFlags& flags);

// `resume --db` of a rehearsal's database, refused as refuse_for_rehearsal would, but before the
// key is read: asked for an API key first, a user might give the real one to a rehearsal.
Status refuse_rehearsal_resume(const std::string& db_path, const SettingFlags& flags);

// A task belongs to the key that made it (schema 9): it is polled with that key only. Tasks of
// `batch` made with a key not in `pool` are first given up where `drop_keys` names their key
// (--drop-key: they fail KEY_DROPPED); any left refuse the run, listing them, with what to do.
// Returns what was given up, for people ("" = nothing).
Result<std::string> settle_task_keys(RunStore& store, const std::string& batch, const std::vector<KeyIdentity>& pool,
                                     const std::vector<std::string>& drop_keys);

// An API that could not be reached at all (ErrorKind::unreachable): `done` says what was not.
Error unreachable_error(const std::string& api_base, const std::string& reason, const std::string& done);

// What the balance check lets through, with what to say about it.
struct FundsNote {
  std::string info;     // for people (unless --quiet): the balance covers the batch
  std::string warning;  // after "reelq: warning: " on stderr
};

// The balance check's verdict as a go (with its note) or a refusal: the API unreachable, the key
// refused, or a balance short of the batch without --allow-partial. `prices_source`: where the
// price table came from, named when funds are short; `resume`: the command that continues the
// batch, as it should be typed (the queue named).
Result<FundsNote> judge_funds(const BalanceVerdict& verdict, bool allow_partial, const std::string& prices_source,
                              const std::string& api_base, const std::string& resume);

// Tasks of `batch` submitted in callback mode, now drained by a run that polls: their callbacks go
// unanswered. The warning to give, if any (a database that cannot be read gives none: the run
// itself reads the same rows and reports it).
std::optional<std::string> callbacks_unheard(RunStore& store, const std::string& batch, const Settings& settings);

}  // namespace reelq
