// `reelq run MANIFEST` and `reelq resume`: drain batches through the API, within its caps. The
// pieces: stop signals (cli/stop_signals.h), the keys, database, leases and balance held before the
// first request (cli/run_prepare.h), the guards before anything is sent (cli/run_guards.h), the
// output folder (cli/output_folder.h), one batch's drain (cli/drain.h) over the parts it is built
// from (cli/run_parts.h), its summary (cli/run_summary.h); the rehearsal is cli/rehearsal.h.
#include <fmt/format.h>
#include <fmt/ostream.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <ostream>
#include <thread>

#include "cli/batch_settings.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/db_location.h"
#include "cli/drain.h"
#include "cli/enqueue_notices.h"
#include "cli/finish_tally.h"
#include "cli/handoff.h"
#include "cli/invocation.h"
#include "cli/listen_setup.h"
#include "cli/output_folder.h"
#include "cli/run_again.h"
#include "cli/run_guards.h"
#include "cli/run_parts.h"
#include "cli/run_prepare.h"
#include "cli/stop_signals.h"
#include "queue/run_store.h"
#include "sched/balance_check.h"
#include "util/text.h"

namespace reelq {

namespace fs = std::filesystem;

namespace {

// A batch `reelq resume` should drain: one with takes not in an end state, or with renders given
// up on at their deadline whose taskId it can ask about again.
bool resumable(Queue& queue, const BatchSummary& s) {
  int open =
      s.total() - s.counts.at(JobState::succeeded) - s.counts.at(JobState::failed) - s.counts.at(JobState::cancelled);
  if (open > 0) {
    return true;
  }
  RunStore store(queue.db(), system_clock());
  auto counts = store.counts(s.name);
  return counts && counts->failures_by_code.contains("RENDER_TIMEOUT");
}

// The settings `reelq run` will drain the manifest's batch with, and the refusals that need nothing
// but them and the queue: each before anything is enqueued or sent.
Result<Settings> settings_before_enqueue(Queue& queue, const Manifest& manifest, const std::string& manifest_path,
                                         const RunFlags& flags) {
  // A batch made from another manifest file is refused before anything is asked or sent.
  auto other = queue.other_manifest(manifest, fs::absolute(manifest_path));
  if (!other) {
    return other.error();
  }
  if (*other && !flags.into_batch) {
    return **other;
  }
  // At the API the batch ran against before, unless a flag or REELQ_API_BASE names another.
  auto settings = manifest_batch_settings(&queue.db(), manifest, manifest_path, flags.settings);
  if (!settings) {
    return settings.error();
  }
  // Settings that cannot work (callback mode or local images without --public-url, ...).
  if (auto st = check_listen_settings(manifest, *settings); !st) {
    return Error{st.error().kind, st.error().message + "; nothing was enqueued or sent"};
  }
  RunStore store(queue.db(), system_clock());
  if (auto stored = store.batch(manifest.batch)) {  // a batch run before
    if (auto st = refuse_simulated_to_real(store, *stored, *settings, flags.db); !st) {
      return st.error();
    }
    auto id = queue_id(queue.db());
    if (!id) {
      return id.error();
    }
    if (auto st = refuse_untrusted_api(*id, *stored, *settings, flags.settings); !st) {
      return st.error();
    }
  }
  return settings;
}

// Enqueues the manifest (idempotently) and says what that changed.
Status enqueue_manifest(Queue& queue, const Manifest& manifest, const std::string& manifest_path, const RunFlags& flags,
                        std::ostream& err) {
  EnqueueOptions options = enqueue_options(flags.replace_changed, flags.keep_removed, flags.into_batch);
  auto report = queue.enqueue(manifest, fs::absolute(manifest_path), options);
  if (!report) {
    return report.error();
  }
  for (const auto& line :
       enqueue_notices(*report, notice_context(manifest, manifest_path, flags.db, options.on_removed))) {
    err << "reelq: " << line << "\n";
  }
  return ok_status();
}

// The queue's lock for this run; or, its runner active, the batch joins that runner's night
// (cli/handoff.h) and `handed` is the exit status. A runner that is ending (or a short command
// holding the lock) is waited for, and this run then goes on as usual.
Result<Prepared> prepare_or_hand_off(const Manifest& manifest, const std::string& manifest_path, const RunFlags& flags,
                                     const std::string& again, CommandIo io, std::optional<int>& handed) {
  for (;;) {
    auto prepared = prepare(flags);
    if (prepared || prepared.error().kind != ErrorKind::busy) {
      return prepared;
    }
    auto to_runner = add_to_running_night(flags.db, manifest, manifest_path,
                                          enqueue_options(flags.replace_changed, flags.keep_removed, flags.into_batch),
                                          named_api_base(flags.settings), io.out, io.err);
    if (!to_runner) {
      handed = report_error(io.err, to_runner.error());
      return to_runner.error();
    }
    if (*to_runner == HandOff::added) {
      handed = k_exit_ok;
      return Error{ErrorKind::busy, "handed to the queue's runner"};
    }
    if (stop_requested()) {
      fmt::print(io.out, "stopped before anything was enqueued or submitted: run `{}` again\n", again);
      handed = k_exit_unfinished;
      return Error{ErrorKind::busy, "stopped"};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

// `reelq run` once the database is known and stops are watched: the checks, the enqueue, the drain.
int run_manifest(const Manifest& manifest, const std::string& manifest_path, const RunFlags& flags,
                 const std::string& again, CommandIo io, FinishReport& finish) {
  if (auto st = precheck_output_folder(manifest, manifest_path, flags.db, flags.settings); !st) {
    return report_error(io.err, st.error());
  }
  std::optional<int> handed;
  auto prepared = prepare_or_hand_off(manifest, manifest_path, flags, again, io, handed);
  if (handed) {
    finish.handed_off = *handed == k_exit_ok;
    return *handed;
  }
  if (!prepared) {
    return report_error(io.err, prepared.error());
  }
  // Declared before the runner's scope, so it counts after that scope names what it left.
  FinishTally tally(*prepared->queue, flags.hooks.any() ? &finish : nullptr);
  tally.expect(manifest);
  RunnerScope runner(*prepared->queue, prepared->runner_since, io.err);
  runner.report_left_to(tally.added_and_left());
  say_key_warnings(*prepared, io.err);
  auto settings = settings_before_enqueue(*prepared->queue, manifest, manifest_path, flags);
  if (!settings) {
    return report_error(io.err, settings.error());
  }
  if (lease_keys(*prepared, manifest.batch, flags, io.err)) {
    fmt::print(io.out, "stopped before anything was enqueued or submitted: run `{}` again\n", again);
    return k_exit_unfinished;
  }
  BalanceResult balance = read_balance_of(*prepared, *settings, flags);
  if (balance.answer.kind == AnswerKind::unreachable) {
    return report_error(
        io.err, unreachable_error(settings->api_base, balance.answer.message, "nothing was enqueued or submitted"));
  }
  if (stop_requested()) {
    fmt::print(io.out, "stopped before anything was enqueued or submitted: run `{}` again\n", again);
    return k_exit_unfinished;
  }
  runner.own(manifest.batch);
  if (auto st = enqueue_manifest(*prepared->queue, manifest, manifest_path, flags, io.err); !st) {
    return report_error(io.err, st.error());
  }
  DrainOptions options = drain_options(*prepared, flags, finish);
  options.balance = &balance;
  finish.db = fs::absolute(flags.db).string();  // the hook may run anywhere (cron: /)
  int code = drain(*prepared->queue, manifest.batch, flags, prepared->key, io, options);
  options.balance = nullptr;  // read for this batch; an added batch reads its own
  return drain_added(
      runner, code,
      [&](const std::string& batch) { return drain(*prepared->queue, batch, flags, prepared->key, io, options); },
      io.out);
}

// The batches `reelq resume` drains: the one named, or every one with work left.
Result<std::vector<std::string>> batches_to_resume(Queue& queue, const std::optional<std::string>& batch) {
  if (batch) {
    return std::vector<std::string>{*batch};
  }
  auto summaries = queue.summaries(std::nullopt);
  if (!summaries) {
    return summaries.error();
  }
  std::vector<std::string> names;
  for (const auto& s : *summaries) {
    if (resumable(queue, s)) {
      names.push_back(s.name);
    }
  }
  return names;
}

// `reelq run` up to its exit status; the hooks run after it, once the database's lock is let go.
int run_command(const std::string& manifest_path, const RunFlags& given, CommandIo io, FinishReport& finish) {
  auto manifest = load_manifest(manifest_path);
  if (!manifest) {
    return report_error(io.err, manifest.error());
  }
  auto db = db_for_manifest(given.db, manifest_path, manifest->batch, fs::current_path());
  if (!db) {
    return report_error(io.err, db.error());
  }
  RunFlags flags = given;
  flags.db = db->path.string();
  // From the start: a Ctrl-C during the balance check or the enqueue still ends within 2 s, and says so.
  install_signal_handlers();
  StopWatchdog watchdog;
  const std::string again = run_again(manifest_path, flags);
  StopNoteScope early_note(fmt::format("  Nothing was submitted yet: run `{}` again", again), io.out);
  return run_manifest(*manifest, manifest_path, flags, again, io, finish);
}

int resume_command(const std::optional<std::string>& batch, const RunFlags& flags, CommandIo io, FinishReport& finish) {
  if (!fs::exists(flags.db)) {
    return report_error(io.err, Error{ErrorKind::usage, fmt::format("no queue database at {} (pass --db)", flags.db)});
  }
  // From the start, as in `run`: a stop during start-up still ends within 2 s, and says so.
  install_signal_handlers();
  StopWatchdog watchdog;
  StopNoteScope early_note(
      fmt::format("  Nothing was submitted yet: run `{} resume --db {}` again", reelq_command(), shell_word(flags.db)),
      io.out);
  if (auto st = refuse_rehearsal_resume(flags.db, flags.settings); !st) {
    return report_error(io.err, st.error());
  }
  auto prepared = prepare(flags);
  if (!prepared) {
    return report_error(io.err, prepared.error());
  }
  FinishTally tally(*prepared->queue, flags.hooks.any() ? &finish : nullptr);
  RunnerScope runner(*prepared->queue, prepared->runner_since, io.err);
  runner.report_left_to(tally.added_and_left());
  say_key_warnings(*prepared, io.err);
  finish.db = fs::absolute(flags.db).string();  // the hook may run anywhere (cron: /)
  auto batches = batches_to_resume(*prepared->queue, batch);
  if (!batches) {
    return report_error(io.err, batches.error());
  }
  for (const auto& name : *batches) {
    tally.expect(name);
  }
  if (!batches->empty() &&
      lease_keys(*prepared, fmt::format("{} (resume)", fmt::join(*batches, ", ")), flags, io.err)) {
    fmt::print(io.out, "stopped before anything was submitted: run `{} resume --db {}` again\n", reelq_command(),
               shell_word(flags.db));
    return k_exit_unfinished;
  }
  if (batches->empty()) {
    io.out << "nothing to resume: every batch in " << flags.db << " is finished\n";
    return k_exit_ok;  // a batch added meanwhile is named by RunnerScope, for the next resume
  }
  int worst = k_exit_ok;
  DrainOptions options = drain_options(*prepared, flags, finish);
  auto drain_one = [&](const std::string& name) {
    return drain(*prepared->queue, name, flags, prepared->key, io, options);
  };
  for (const auto& name : *batches) {
    runner.own(name);
  }
  for (const auto& name : *batches) {
    int code = drain_one(name);
    worst = std::max(worst, code);
    if (code == k_exit_unfinished || code == k_exit_key_refused || stop_requested()) {
      break;
    }
  }
  return drain_added(runner, worst, drain_one, io.out);
}

// The hooks of --on-finish and --notify (cli/finish_hooks.h), which never change the exit status.
int finish_run(const RunFlags& flags, const FinishReport& finish, CommandIo io) {
  if (!flags.hooks.any()) {
    return finish.exit_code;
  }
  // The summary first: in a log taking both streams (`> night.log 2>&1`) the hook's lines come
  // after it, not from a buffer flushed at exit.
  io.out.flush();
  std::ostream& err = io.err;
  if (finish.handed_off) {
    // This command ends now with nothing drained; a hook told "finished, 0 succeeded" would lie.
    err << "reelq: --on-finish and --notify not run: the batch joined the night of the reelq already running on "
           "this queue, which drains it and runs its own (give them to that run, or to a resume after it)\n";
    return finish.exit_code;
  }
  FinishHooks hooks = flags.hooks;
  hooks.ca_file = flags.ca_file;
  auto key = load_run_key(flags);  // only to keep it out of the hook's environment
  run_finish_hooks(hooks, finish, key ? key->secrets() : std::vector<std::string>{}, err);
  return finish.exit_code;
}

}  // namespace

int cmd_run(const std::string& manifest_path, const RunFlags& flags, CommandIo io) {
  FinishReport finish;
  finish.command = "run";
  finish.exit_code = run_command(manifest_path, flags, io, finish);
  return finish_run(flags, finish, io);
}

int cmd_resume(const std::optional<std::string>& batch, const RunFlags& flags, CommandIo io) {
  FinishReport finish;
  finish.command = "resume";
  finish.exit_code = resume_command(batch, flags, io, finish);
  return finish_run(flags, finish, io);
}

}  // namespace reelq
