// retry, cancel, download: what a person does to a batch in the morning.
#include <fmt/format.h>
#include <fmt/ostream.h>

#include <map>
#include <ostream>

#include "api/poco_transport.h"
#include "cli/batch_settings.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/db_location.h"
#include "cli/invocation.h"
#include "fetch/collect.h"
#include "fetch/download_options.h"
#include "queue/run_store.h"
#include "util/clock.h"
#include "util/run_lock.h"
#include "util/text.h"

namespace reelq {

namespace {

std::string scope(const JobSelector& sel) {
  return sel.batch ? fmt::format(" --batch {}", *sel.batch) : "";
}

// The line after a retry: the resume that runs the requeued takes; for a rehearsal's queue, which
// is never resumed (its simulator ended with it), the rehearsal that renders the batch again.
std::string run_them_line(SQLite::Database& db, const std::string& db_path, const JobSelector& sel) {
  if (RunStore(db, system_clock()).said_rehearsal()) {
    SQLite::Statement q(db, "SELECT manifest_path FROM batches ORDER BY created_at LIMIT 1");
    std::string manifest = q.executeStep() ? shell_word(q.getColumn(0).getString()) : "MANIFEST";
    return fmt::format(
        "This is a rehearsal's queue, which is never resumed: `{} run --rehearse {}` rehearses the batch again from "
        "the start\n",
        reelq_command(), manifest);
  }
  return fmt::format("Run them with: {} resume --db {}{}\n", reelq_command(), shell_word(db_path), scope(sel));
}

}  // namespace

int cmd_retry(const std::string& db_path, const JobSelector& sel, CommandIo io) {
  auto queue = open_existing_queue(db_path);
  if (!queue) {
    return report_error(io.err, queue.error());
  }
  // A runner drains the rows it read at its start; requeued rows would be invisible to it and
  // would end its run in confusion. So retry waits for it.
  auto lock = RunLock::acquire(db_path);
  if (!lock) {
    return report_error(
        io.err,
        Error{lock.error().kind, lock.error().message + "; retry after that run ends (its failures are then final)"});
  }
  auto out = retry_failed(queue.value()->db(), system_clock(), sel);
  if (!out) {
    return report_error(io.err, out.error());
  }
  if (out->requeued + out->to_download + out->to_poll == 0) {
    io.out << fmt::format("nothing to retry: no failed{} job matches\n", sel.include_cancelled ? " or cancelled" : "");
    return k_exit_ok;
  }
  fmt::print(io.out, "{} requeued for submitting", out->requeued);
  if (out->to_download) {
    fmt::print(io.out, ", {} to download again (their renders succeeded; not paid twice)", out->to_download);
  }
  if (out->to_poll) {
    fmt::print(io.out, ", {} to ask the API about again (same task; not paid twice)", out->to_poll);
  }
  if (out->not_failed) {
    fmt::print(io.out, "; {} named were not failed and were left alone", out->not_failed);
  }
  fmt::print(io.out, ".\n");
  if (out->ambiguous) {
    // The point of --on-ambiguous hold was to ask first: say what the resubmit may cost.
    fmt::print(io.out,
               "{} of them {} held because {} submit went out without an answer: the API may have made {} task "
               "already, and resubmitting may be charged twice (flagged \"possible duplicate charge\"). Check "
               "your apixo dashboard first, or cancel them: {} cancel --db {} --job ID\n",
               out->ambiguous, out->ambiguous == 1 ? "was" : "were", out->ambiguous == 1 ? "its" : "their",
               out->ambiguous == 1 ? "that" : "those", reelq_command(), shell_word(db_path));
  }
  if (out->lost) {
    fmt::print(io.out,
               "{} of them failed TASK_NOT_FOUND: the API made {} task, then said for 10 minutes that it did not "
               "know {}; if {} still {}, resubmitting is charged twice (flagged \"possible duplicate charge\"). "
               "Check your apixo dashboard first, or cancel them: {} cancel --db {} --job ID\n",
               out->lost, out->lost == 1 ? "its" : "their", out->lost == 1 ? "it" : "them",
               out->lost == 1 ? "it" : "they", out->lost == 1 ? "renders" : "render", reelq_command(),
               shell_word(db_path));
  }
  if (out->dropped) {
    fmt::print(io.out,
               "{} of them {} given up with --drop-key (KEY_DROPPED): {} task{} {} made with a key that run did not "
               "have and may still render, so resubmitting may be charged twice (flagged \"possible duplicate "
               "charge\"). Check your apixo dashboard first, or cancel them before a run submits them: {} cancel "
               "--db {} --job ID\n",
               out->dropped, out->dropped == 1 ? "was" : "were", out->dropped == 1 ? "its" : "their",
               out->dropped == 1 ? "" : "s", out->dropped == 1 ? "was" : "were", reelq_command(), shell_word(db_path));
  }
  if (out->unnamed) {
    // Their first task exists and is paid for; the resume about to be suggested pays again.
    fmt::print(io.out,
               "{} of them {} made by the API without a taskId reelq can use: {} first task{} {} paid for and "
               "cannot be collected, and resubmitting pays for another render. To keep from paying twice, cancel "
               "{} instead: {} cancel --db {} --job ID\n",
               out->unnamed, out->unnamed == 1 ? "was" : "were", out->unnamed == 1 ? "its" : "their",
               out->unnamed == 1 ? "" : "s", out->unnamed == 1 ? "is" : "are", out->unnamed == 1 ? "it" : "them",
               reelq_command(), shell_word(db_path));
  }
  io.out << run_them_line(queue.value()->db(), db_path, sel);
  return k_exit_ok;
}

int cmd_cancel(const std::string& db_path, const JobSelector& sel, CommandIo io) {
  auto queue = open_existing_queue(db_path);
  if (!queue) {
    return report_error(io.err, queue.error());
  }
  // No lock: a cancel may land while a runner drains. Each row changes only from `queued`, the
  // same condition the runner's claim to submit uses, so exactly one of the two wins.
  auto out = cancel_jobs(queue.value()->db(), system_clock(), sel);
  if (!out) {
    return report_error(io.err, out.error());
  }
  fmt::print(io.out, "{} cancelled", out->cancelled);
  if (out->running) {
    fmt::print(io.out,
               "; {} already at the API will finish and be downloaded (the apixo API has no cancel endpoint, so "
               "they are paid for)",
               out->running);
  }
  if (out->finished) {
    fmt::print(io.out, "; {} already finished, left as they are", out->finished);
  }
  // With --db: run from another folder, the line must not requeue another queue's batch of the name.
  io.out << (out->cancelled ? fmt::format(". `{} retry --db {} --cancelled{}` brings them back.\n", reelq_command(),
                                          shell_word(db_path), scope(sel))
                            : ".\n");
  return k_exit_ok;
}

int cmd_download(const std::string& db_path, const std::optional<std::string>& batch, const std::string& ca_file,
                 CommandIo io) {
  auto queue = open_existing_queue(db_path);
  if (!queue) {
    return report_error(io.err, queue.error());
  }
  auto lock = RunLock::acquire(db_path);
  if (!lock) {
    return report_error(io.err, Error{lock.error().kind, lock.error().message + "; that run downloads results itself"});
  }
  auto missing = missing_results(queue.value()->db(), batch);
  if (!missing) {
    return report_error(io.err, missing.error());
  }
  // Renders given up on at their deadline have no result URL yet; only the API can say whether
  // they ended since, and that is resume's work (download holds no key).
  if (auto late = RunStore(queue.value()->db(), system_clock()).count_timed_out(batch); late && *late > 0) {
    fmt::print(io.out,
               "{} render{} timed out at the API (RENDER_TIMEOUT) with {} taskId kept: `{} resume --db {}{}` asks "
               "the API again and downloads what has ended since\n",
               *late, *late == 1 ? "" : "s", *late == 1 ? "its" : "their", reelq_command(), shell_word(db_path),
               batch ? fmt::format(" --batch {}", *batch) : "");
  }
  if (missing->empty()) {
    io.out << "every result is on disk\n";
    return k_exit_ok;
  }
  // Per batch and folder: each batch's own settings (max_attempts, max_download_mb, its time scale)
  // hold here as in its runs.
  std::map<std::pair<std::string, std::string>, std::vector<MissingResult>> by_folder;
  for (auto& m : *missing) {
    if (m.output_dir.empty()) {
      fmt::print(io.err, "reelq: {}: batch {} has no output folder recorded; run `reelq resume` instead\n", m.job_id,
                 m.batch);
      continue;
    }
    by_folder[{m.batch, m.output_dir}].push_back(std::move(m));
  }
  TransportOptions topts;
  topts.user_agent = std::string("reelq/") + REELQ_VERSION;
  topts.ca_file = ca_file;
  auto cdn = make_poco_transport(topts);
  RunStore store(queue.value()->db(), system_clock());
  CollectOutcome total;
  for (const auto& [where, items] : by_folder) {
    const auto& [batch_name, folder] = where;
    auto info = store.batch(batch_name);
    if (!info) {
      return report_error(io.err, info.error());
    }
    auto settings = stored_batch_settings(*info, {});
    if (!settings) {
      return report_error(io.err, settings.error());
    }
    std::error_code ec;
    std::filesystem::create_directories(folder, ec);
    DownloadOptions opts = download_options(*settings);
    opts.output_dir = folder;  // where the batch's files were recorded, should it have moved since
    Downloader downloader(*cdn, system_clock(), opts);
    auto out = collect_missing(store, downloader, system_clock(), items, [&](const std::string& line) {
      io.out << line << "\n" << std::flush;
    });
    if (!out) {
      return report_error(io.err, out.error());
    }
    total.fetched += out->fetched;
    total.failed += out->failed;
  }
  fmt::print(io.out, "{} fetched, {} failed\n", total.fetched, total.failed);
  return total.failed > 0 || total.fetched < static_cast<int>(missing->size()) ? k_exit_jobs_failed : k_exit_ok;
}

}  // namespace reelq
