#include "cli/run_guards.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "cli/batch_settings.h"
#include "cli/commands.h"
#include "cli/invocation.h"
#include "keys/trust_file.h"
#include "sched/job_table.h"
#include "util/clock.h"
#include "util/text.h"

namespace reelq {

Status check_rehearsal_db(const BatchInfo& batch, const Settings& settings, bool api_base_given,
                          const std::string& db) {
  std::string again =
      fmt::format("rehearse again with `{} run --rehearse {}`", reelq_command(), shell_word(batch.manifest_path));
  if (!is_loopback_host(settings.api_base)) {
    return Error{ErrorKind::usage,
                 fmt::format("{} is a rehearsal's database (reelq run --rehearse) and never talks to a real API; "
                             "refusing {}. Run the real batch with `{} run {}` (its own database), or {}",
                             db, settings.api_base, reelq_command(), shell_word(batch.manifest_path), again)};
  }
  // Its built-in simulator lived inside `run --rehearse` and ended with it.
  if (settings.api_base == batch.api_base && !api_base_given) {
    return Error{ErrorKind::usage,
                 fmt::format("{} is a rehearsal's database; the built-in simulator it ran against ({}) ended with "
                             "it. {}, or point it at a `{} sim` with --api-base http://127.0.0.1:PORT",
                             db, batch.api_base, again, reelq_command())};
  }
  return ok_status();
}

Status refuse_rehearsal_resume(const std::string& db_path, const SettingFlags& flags) {
  auto queue = open_existing_queue(db_path);
  if (!queue) {
    return ok_status();  // said by the resume itself, as for any queue
  }
  RunStore store(queue.value()->db(), system_clock());
  auto rehearsal = store.is_rehearsal();
  if (!rehearsal || !*rehearsal) {
    return ok_status();
  }
  SQLite::Statement q(queue.value()->db(), "SELECT name FROM batches ORDER BY created_at");
  while (q.executeStep()) {
    auto info = store.batch(q.getColumn(0).getString());
    auto settings = info ? stored_batch_settings(*info, flags) : Result<Settings>(info.error());
    if (!settings) {
      continue;  // the resume reports it
    }
    if (auto st = refuse_for_rehearsal(store, *info, *settings, flags, db_path); !st) {
      return st;
    }
  }
  return ok_status();
}

bool simulated_to_real(const BatchInfo& batch, const Settings& settings) {
  return !batch.api_base.empty() && is_loopback_host(batch.api_base) && !is_loopback_host(settings.api_base);
}

// Sent on to a real API it would render only what the simulator left, and the morning's report
// would mix both: refused, with the way to a real run beside it.
Status check_simulated_to_real(const BatchInfo& batch, const Settings& settings, int takes_sent,
                               const std::string& db) {
  if (!simulated_to_real(batch, settings) || takes_sent == 0) {
    return ok_status();  // nothing happened at the simulator: nothing to mistake for a render
  }
  return Error{ErrorKind::usage,
               fmt::format("batch {} ran against {}, an API on this machine (a simulator?): {} {} sent there, "
                           "and the videos it made are placeholders counted as done. Refusing to send the rest to "
                           "{}. Give the real run its own queue and folder: {} run {} --db FILE --output-dir "
                           "DIR (or delete {} and the batch's folder first)",
                           batch.name, batch.api_base, count_of(takes_sent, "take"), takes_sent == 1 ? "was" : "were",
                           settings.api_base, reelq_command(), shell_word(batch.manifest_path), shell_word(db))};
}

Status refuse_for_rehearsal(RunStore& store, const BatchInfo& batch, const Settings& settings,
                            const SettingFlags& flags, const std::string& db) {
  auto rehearsal = store.is_rehearsal();
  if (!rehearsal) {
    return rehearsal.error();
  }
  if (!*rehearsal) {
    return ok_status();
  }
  bool base_given = std::any_of(flags.begin(), flags.end(), [](const auto& kv) { return kv.first == "api_base"; });
  return check_rehearsal_db(batch, settings, base_given, db);
}

Status refuse_simulated_to_real(RunStore& store, const BatchInfo& batch, const Settings& settings,
                                const std::string& db) {
  if (!simulated_to_real(batch, settings)) {
    return ok_status();  // the count is read only when it can matter
  }
  auto sent = store.takes_sent(batch.name);
  if (!sent) {
    return sent.error();
  }
  return check_simulated_to_real(batch, settings, *sent, db);
}

Status refuse_untrusted_api(const std::string& queue_id, const BatchInfo& batch, const Settings& settings,
                            const SettingFlags& flags) {
  const std::string& api = settings.api_base;
  if (api == Settings{}.api_base || named_api_base(flags) || is_trusted(default_trust_file(), queue_id, api)) {
    return ok_status();
  }
  return Error{ErrorKind::usage,
               fmt::format("batch {}: its queue says its last run went to the API {}, but no run of yours chose "
                           "that (the queue may come from another machine or person, and the key goes with every "
                           "request). Nothing was sent. If that API is yours, give --api-base {} once; for the "
                           "real API, --api-base {}",
                           batch.name, api, shell_word(api), Settings{}.api_base)};
}

Error unreachable_error(const std::string& api_base, const std::string& reason, const std::string& done) {
  return Error{ErrorKind::unreachable,
               fmt::format("cannot reach the API at {} ({}); {}. Check the network (and --api-base), then run the "
                           "same command again.",
                           api_base, reason, done)};
}

Result<FundsNote> judge_funds(const BalanceVerdict& v, bool allow_partial, const std::string& prices_source,
                              const std::string& api_base, const std::string& resume) {
  FundsNote note;
  switch (v.kind) {
    case BalanceKind::covered:
      if (v.renders > 0) {
        note.info = fmt::format("balance ${:.2f} covers the {} {} (estimated ${:.2f})", v.balance,
                                count_of(v.renders, "render"), v.beyond_cap > 0 ? "the spend cap lets through" : "left",
                                v.cost);
      }
      return note;
    case BalanceKind::unknown:
      note.warning = v.message + "; starting anyway (a run stops submitting when credits run out)";
      return note;
    case BalanceKind::unreachable:
      return unreachable_error(api_base, v.message, "nothing was submitted");
    case BalanceKind::key_refused:
      return Error{
          ErrorKind::key_refused,
          v.message +
              "; nothing was submitted. Fix the key (APIXO_API_KEY, --api-key-file, or its entry in the keys file)."};
    case BalanceKind::short_funds:
      break;
  }
  std::string what = fmt::format("balance ${:.2f} covers {} of the {} {} (estimated ${:.2f}, prices: {})", v.balance,
                                 v.affordable, count_of(v.renders, "render"),
                                 v.beyond_cap > 0 ? "the spend cap lets through" : "left", v.cost, prices_source);
  if (allow_partial) {
    note.warning = what + "; --allow-partial: starting, and stopping when credits run out";
    return note;
  }
  if (v.affordable == 0) {
    return Error{ErrorKind::short_funds,
                 fmt::format("{}. Nothing was submitted. Top up, then `{}` starts it", what, resume)};
  }
  return Error{ErrorKind::short_funds,
               fmt::format("{}. Nothing was submitted. Top up, or pass --allow-partial to render what it covers "
                           "(`{}` continues later).",
                           what, resume)};
}

// Polling still collects such tasks, later; say so rather than leave the user to wonder.
std::optional<std::string> callbacks_unheard(RunStore& store, const std::string& batch, const Settings& settings) {
  if (settings.request_type == RequestType::callback) {
    return std::nullopt;
  }
  auto n = store.open_callback_tasks(batch);
  if (!n || *n == 0) {
    return std::nullopt;
  }
  return fmt::format(
      "{} of batch {} {} submitted in callback mode; this run polls (no --mode callback): "
      "their callbacks go unanswered and polling collects them. To hear them, resume with --mode "
      "callback --listen HOST:PORT --public-url URL as before",
      count_of(*n, "task"), batch, *n == 1 ? "was" : "were");
}

namespace {

// "key \"studio-a\" (fingerprint 1a2b3c4d5e6f)"
std::string key_words(const std::string& name, const std::string& fp) {
  return fmt::format("key \"{}\" (fingerprint {})", name, fp);
}

}  // namespace

Result<std::string> settle_task_keys(RunStore& store, const std::string& batch, const std::vector<KeyIdentity>& pool,
                                     const std::vector<std::string>& drop_keys) {
  std::vector<std::string> fingerprints;
  for (const auto& k : pool) {
    fingerprints.push_back(k.fingerprint);
  }
  std::string note;
  for (const auto& name : drop_keys) {
    auto dropped = store.drop_key_tasks(batch, name, fingerprints);
    if (!dropped) {
      return dropped.error();
    }
    if (*dropped > 0) {
      note += fmt::format(
          "{}gave up {} task{} made with key {} (--drop-key): failed KEY_DROPPED; they may still "
          "render and be charged",
          note.empty() ? "" : "\n", *dropped, *dropped == 1 ? "" : "s", name);
    } else {
      // A name mistyped gives nothing up: say so, or the refusal below reads as if --drop-key failed.
      note += fmt::format(
          "{}--drop-key {}: no task of batch {} still at the API was made with a key of that name "
          "or fingerprint; nothing given up",
          note.empty() ? "" : "\n", name, batch);
    }
  }
  auto left = store.tasks_of_other_keys(batch, fingerprints);
  if (!left) {
    return left.error();
  }
  if (left->empty()) {
    return note;
  }
  // By key, in manifest order: which jobs, and whether the name now points at another key.
  std::map<std::pair<std::string, std::string>, std::vector<std::string>> by_key;
  for (const auto& t : *left) {
    by_key[{t.key_name, t.key_fp}].push_back(take_name(t));
  }
  std::string what;
  std::string drop;
  for (const auto& [key, takes] : by_key) {
    const auto& [name, fp] = key;
    std::string shown;
    for (size_t i = 0; i < takes.size() && i < 10; ++i) {
      shown += (i ? ", " : "") + takes[i];
    }
    if (takes.size() > 10) {
      shown += fmt::format(" and {} more", takes.size() - 10);
    }
    what += fmt::format("; {} task{} made with {}: {}", takes.size(), takes.size() == 1 ? "" : "s", key_words(name, fp),
                        shown);
    for (const auto& k : pool) {
      if (k.name == name) {
        what += fmt::format(" (the name \"{}\" now points at another key, fingerprint {})", name, k.fingerprint);
      }
    }
    drop += " --drop-key " + shell_word(name);
  }
  return Error{
      ErrorKind::conflict,
      fmt::format(
          "batch {} has tasks at the API that only the key that made them can collect{}. Give "
          "that key (APIXO_API_KEY, --api-key-file or a keys file with --keys), or give the tasks up with{} (they may "
          "still render and be charged). Nothing was sent",
          batch, what, drop)};
}

}  // namespace reelq
