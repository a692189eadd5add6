// validate, enqueue, status: the commands that read manifests into the queue and show it.
#include <fmt/format.h>
#include <fmt/ostream.h>

#include <chrono>
#include <map>
#include <ostream>
#include <thread>

#include "cli/argv_secrets.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/db_location.h"
#include "cli/enqueue_notices.h"
#include "cli/handoff.h"
#include "cli/invocation.h"
#include "cli/run_money.h"
#include "cli/time_window.h"
#include "fetch/moved_output.h"
#include "queue/run_store.h"
#include "util/clock.h"
#include "util/run_lock.h"
#include "util/text.h"
#include "util/time_text.h"

namespace reelq {

int exit_code_for(const Error& error) {
  switch (error.kind) {
    case ErrorKind::usage:
    case ErrorKind::input:
    case ErrorKind::conflict:
    case ErrorKind::busy:  // another reelq holds the database (docs/cli.md: exit 2)
      return k_exit_usage;
    case ErrorKind::unreachable:
    case ErrorKind::short_funds:  // `reelq resume` (or the same command) goes on once it is fixed
      return k_exit_unfinished;
    case ErrorKind::key_refused:
      return k_exit_key_refused;
    case ErrorKind::storage:
    case ErrorKind::io:
    case ErrorKind::internal:
      return k_exit_internal;
  }
  return k_exit_internal;
}

int report_error(std::ostream& err, const Error& e) {
  // Manifest errors are already "FILE:LINE:COL: message" lines; others get the program's name.
  // A key typed where a path or a number goes is not printed back (cli/argv_secrets.h).
  const std::string message = hide_secret_words(e.message);
  if (e.kind == ErrorKind::input && message.ends_with('\n')) {
    err << message;
  } else {
    err << "reelq: " << message << (message.ends_with('\n') ? "" : "\n");
  }
  return exit_code_for(e);
}

Result<std::unique_ptr<Queue>> open_existing_queue(const std::string& path) {
  if (!std::filesystem::exists(path)) {
    return Error{ErrorKind::usage,
                 fmt::format("no queue database at {} (run or enqueue a manifest first, or pass --db)", path)};
  }
  return open_queue(path);
}

Result<std::unique_ptr<Queue>> open_queue(const std::string& path, DbPrivacy privacy) {
  auto queue = Queue::open(path, system_clock(), privacy);
  if (!queue) {
    return queue;
  }
  // A batch's output folder renamed or moved by its user is found where it is now, before anything
  // counts its files as missing or fetches them again (fetch/moved_output.h).
  if (auto moved = follow_moved_output_folders(queue.value()->db(), std::filesystem::current_path()); !moved) {
    return moved.error();
  }
  return queue;
}

Result<Settings> manifest_settings(const Manifest& manifest, const std::string& manifest_path,
                                   const std::vector<std::pair<std::string, std::string>>& flags) {
  SettingsLayers layers;
  layers.batch = manifest.batch;
  layers.manifest_path = std::filesystem::absolute(manifest_path).string();
  layers.manifest_settings_json = manifest.settings_json;
  layers.flags = flags;
  layers.cwd = std::filesystem::current_path();
  return resolve_settings(layers);
}

std::string prices_path(const std::string& flag) {
  if (!flag.empty()) {
    return flag;
  }
  const char* env = std::getenv("REELQ_PRICES");
  return env ? env : "";
}

namespace {

int count_takes(const Manifest& m) {
  int n = 0;
  for (const auto& j : m.jobs) {
    n += j.takes;
  }
  return n;
}

// A succeeded take's file is not as downloaded: gone, or there with another size (edited since).
std::string missing_or_changed(const MissingResult& m) {
  for (const auto& file : m.files) {
    std::error_code ec;
    if (!file.path.empty() && !file_intact(file, m.output_dir) &&
        std::filesystem::exists(file_location(file, m.output_dir), ec)) {
      return "file in the output folder changed since its download (a download keeps it and fetches the result "
             "beside it)";
    }
  }
  return "file missing from the output folder";
}

// Paid-for results whose files are not on disk, with the time their URLs have left.
void print_missing_results(SQLite::Database& db, const std::optional<std::string>& batch, const std::string& db_path,
                           std::ostream& out) {
  auto missing = missing_results(db, batch);
  if (!missing || missing->empty()) {
    return;
  }
  TimeMs now = system_clock().now_ms();
  fmt::print(out,
             "\nwarning: {} rendered result{} not on disk (result URLs expire: 24 h by one apixo page, 15 days "
             "by the sora-2-pro page):\n",
             missing->size(), missing->size() == 1 ? " is" : "s are");
  for (const auto& m : *missing) {
    TimeMs left = m.finished_at + k_result_url_ttl_ms - now;
    TimeMs left_max = m.finished_at + k_result_url_ttl_max_ms - now;
    std::string name = m.takes > 1 ? fmt::format("{} take {}", m.job_id, m.take) : m.job_id;
    std::string why = m.state == JobState::succeeded     ? missing_or_changed(m)
                      : m.state == JobState::downloading ? "download pending"
                                                         : "download failed";
    std::string when = left > 0       ? fmt::format("URL valid for about {} more", format_age(left))
                       : left_max > 0 ? fmt::format("URL may have expired; at most {} left", format_age(left_max))
                                      : "URL expired";
    fmt::print(out, "  {} {}: {}; {}\n", m.batch, name, why, when);
  }
  fmt::print(out, "Fetch them with: {} download --db {}{}\n", reelq_command(), shell_word(db_path),
             batch ? " --batch " + *batch : "");
}

// What each batch has cost, with what is possibly charged and the balance of its runs (the
// built-in price table, or REELQ_PRICES).
void print_spend(SQLite::Database& db, const std::vector<BatchSummary>& summaries, const TimeWindow& window,
                 bool rehearsal, std::ostream& out) {
  auto prices = load_prices(prices_path(""));
  if (!prices) {
    return;
  }
  const char* simulated = rehearsal ? " (a rehearsal: simulated, nothing was charged)" : "";
  for (const auto& s : summaries) {
    auto money = batch_money_text(db, s.name, s.model, *prices, window);
    if (money && money->any) {
      fmt::print(out, "spent on {}{}: {}{}\n", s.name, describe_window(window), money->spent, simulated);
    }
    if (money && !money->balance.empty() && !rehearsal) {  // the simulator's: summary_money
      fmt::print(out, "balance around {}'s runs{}: {}\n", s.name, describe_window(window), money->balance);
    }
  }
}

// A batch its spend cap stops: a plain resume would submit nothing, so the line says to raise it,
// and to what. `go_on`: the command that goes on (a resume; for a rehearsal, another one).
void print_spend_capped(const std::string& batch, const SpendCapHold& hold, const std::string& go_on, bool rehearsed,
                        std::ostream& out) {
  auto money = [&](double amount) { return format_money(amount, hold.currency); };
  fmt::print(out,
             "batch {} is held by its spend cap: {} committed of max_spend {}, and its next take {}. `{} --max-spend "
             "{}` {}{}\n",
             batch, money(hold.committed), money(hold.cap),
             hold.next_price ? fmt::format("costs {}", money(*hold.next_price)) : "has no price in the table", go_on,
             hold.finishes_at ? cap_amount(*hold.finishes_at) : "AMOUNT",
             rehearsed ? "rehearses it again" : "continues it",
             hold.finishes_at ? " (the batch's whole cap, which pays for every take left)" : "");
}

// Who is working on the batches: the runner's pid, or how to continue the ones with work left (the
// ones their spend cap holds apart: they need a higher cap to go on). A rehearsal is never
// resumed (its simulator ended with it): it is rehearsed again.
void print_runner(SQLite::Database& db, const std::vector<BatchSummary>& summaries, std::optional<long> runner,
                  bool rehearsed, const std::string& db_path, std::ostream& out) {
  auto prices = load_prices(prices_path(""));
  if (runner) {
    fmt::print(out, "runner: pid {} active on this database\n", *runner);
    for (const auto& s : summaries) {  // what its progress line says "(held by max_spend)" of
      if (auto hold = prices ? spend_cap_hold(db, s.name, s.model, *prices) : std::nullopt) {
        fmt::print(out,
                   "batch {} is held by its spend cap: {} committed of max_spend {}; the runner collects what "
                   "runs, then stops with the rest queued\n",
                   s.name, format_money(hold->committed, hold->currency), format_money(hold->cap, hold->currency));
      }
    }
    return;
  }
  RunStore store(db, system_clock());
  std::vector<std::string> unfinished;
  for (const auto& s : summaries) {
    int open =
        s.total() - s.counts.at(JobState::succeeded) - s.counts.at(JobState::failed) - s.counts.at(JobState::cancelled);
    if (open == 0) {
      continue;
    }
    auto info = store.batch(s.name);
    std::string go_on =
        rehearsed && info
            ? fmt::format("{} run --rehearse {}", reelq_command(), shell_word(info->manifest_path))
            : fmt::format("{} resume --db {} --batch {}", reelq_command(), shell_word(db_path), shell_word(s.name));
    if (auto hold = prices ? spend_cap_hold(db, s.name, s.model, *prices) : std::nullopt) {
      print_spend_capped(s.name, *hold, go_on, rehearsed, out);
    } else if (rehearsed) {
      fmt::print(out, "no runner active: a rehearsal is not resumed; `{}` rehearses batch {} again\n", go_on, s.name);
    } else {
      unfinished.push_back(s.name);
    }
  }
  if (unfinished.empty()) {
    return;
  }
  fmt::print(out, "no runner active: `{} resume --db {}{}` continues {}\n", reelq_command(), shell_word(db_path),
             unfinished.size() == 1 ? " --batch " + shell_word(unfinished[0]) : "",
             unfinished.size() == 1 ? "it" : fmt::format("the {} unfinished batches", unfinished.size()));
}

}  // namespace

int cmd_validate(const std::vector<std::string>& files, CommandIo io) {
  int rc = k_exit_ok;
  for (const auto& f : files) {
    auto m = load_manifest(f);
    if (!m) {
      report_error(io.err, m.error());
      rc = k_exit_usage;
      continue;
    }
    fmt::print(io.out, "{}: ok, batch '{}', {}, {}\n", f, m->batch, describe_jobs(*m),
               count_of(count_takes(*m), "render"));
  }
  return rc;
}

int cmd_enqueue(const std::string& manifest, const std::string& db_flag, const EnqueueOptions& options, CommandIo io) {
  auto m = load_manifest(manifest);
  if (!m) {
    report_error(io.err, m.error());
    return k_exit_usage;
  }
  auto db = db_for_manifest(db_flag, manifest, m->batch, std::filesystem::current_path());
  if (!db) {
    return report_error(io.err, db.error());
  }
  std::string db_path = db->path.string();
  // A runner drains the rows it read when it started: a row replaced under it would be rendered
  // from the old prompt while the database and every report show the new one. So while one runs,
  // enqueue only adds new jobs, which join its night (cli/handoff.h); a runner that is ending, or
  // a short command holding the lock, is waited for.
  std::optional<Result<RunLock>> lock;  // re-taken in place: a Result is not assignable
  lock.emplace(RunLock::acquire(db_path));
  while (!*lock && lock->error().kind == ErrorKind::busy) {
    auto handed = add_to_running_night(db_path, *m, manifest, options, std::nullopt, io.out, io.err);
    if (!handed) {
      return report_error(io.err, Error{handed.error().kind, handed.error().message + "; nothing was enqueued"});
    }
    if (*handed == HandOff::added) {
      return k_exit_ok;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    lock.emplace(RunLock::acquire(db_path));
  }
  if (!*lock) {
    return report_error(io.err, Error{lock->error().kind, lock->error().message + "; nothing was enqueued"});
  }
  auto queue = open_queue(db_path);
  if (!queue) {
    report_error(io.err, queue.error());
    return exit_code_for(queue.error());
  }
  auto report = queue.value()->enqueue(*m, std::filesystem::absolute(manifest), options);
  if (!report) {
    report_error(io.err, report.error());
    return exit_code_for(report.error());
  }
  for (const auto& line : enqueue_notices(*report, notice_context(*m, manifest, db_path, options.on_removed))) {
    io.err << "reelq: " << line << "\n";
  }
  fmt::print(io.out, "batch '{}': {} added, {} already in the queue", m->batch, report->added, report->unchanged);
  if (report->replaced) {
    fmt::print(io.out, ", {} replaced", report->replaced);
  }
  if (report->cancelled) {
    fmt::print(io.out, ", {} cancelled", report->cancelled);
  }
  if (report->restored) {
    fmt::print(io.out, ", {} cancelled take{} back in the queue", report->restored, report->restored == 1 ? "" : "s");
  }
  fmt::print(io.out, " ({})\n", db_path);
  return k_exit_ok;
}

int cmd_status(const std::string& db_path, const std::optional<std::string>& batch, bool json, const TimeWindow& window,
               CommandIo io) {
  if (!std::filesystem::exists(db_path)) {
    io.err << fmt::format("reelq: no queue database at {} (enqueue a manifest first, or pass --db)\n", db_path);
    return k_exit_usage;
  }
  auto queue = open_queue(db_path);
  if (!queue) {
    report_error(io.err, queue.error());
    return exit_code_for(queue.error());
  }
  auto summaries = queue.value()->summaries(batch);
  if (!summaries) {
    report_error(io.err, summaries.error());
    return exit_code_for(summaries.error());
  }
  // Whether someone drains this database now: "running 10" means something else after a Ctrl-C.
  std::optional<long> runner = RunLock::holder(db_path);
  // A rehearsal's figures are the simulator's: its balance (a billion) is never shown as the user's.
  const bool rehearsal = RunStore(queue.value()->db(), system_clock()).said_rehearsal();
  if (json) {
    std::map<std::string, int> not_on_disk;  // rendered results whose files are missing, per batch
    if (auto missing = missing_results(queue.value()->db(), batch)) {
      for (const auto& m : *missing) {
        ++not_on_disk[m.batch];
      }
    }
    auto prices = load_prices(prices_path(""));
    std::string out = "[";
    for (const auto& s : *summaries) {
      std::optional<BatchMoneyText> money;
      std::optional<SpendCapHold> held;
      if (prices) {
        money = batch_money_text(queue.value()->db(), s.name, s.model, *prices, window);
        held = spend_cap_hold(queue.value()->db(), s.name, s.model, *prices);
      }
      const std::optional<double> cap = batch_spend_cap(queue.value()->db(), s.name);
      out += fmt::format("{}{{\"batch\":{},\"model\":{},\"total\":{},\"states\":{{", out.size() > 1 ? "," : "",
                         json_quote(s.name), json_quote(s.model), s.total());
      bool first = true;
      for (const auto& [state, count] : s.counts) {
        out += fmt::format("{}\"{}\":{}", first ? "" : ",", to_string(state), count);
        first = false;
      }
      out += fmt::format(
          "}},\"not_on_disk\":{},\"runner_pid\":{},\"spend\":{},\"balance\":{},\"max_spend\":{},"
          "\"held_by_spend_cap\":{}}}",
          not_on_disk[s.name], runner ? std::to_string(*runner) : "null", money ? money->spent_json : "null",
          money && !rehearsal ? money->balance_json : "null", cap ? fmt::format("{:.2f}", *cap) : "null",
          held.has_value());
    }
    io.out << out << "]\n";
    return k_exit_ok;
  }
  if (summaries->empty()) {
    io.out << "no batches in " << db_path << "\n";
    return k_exit_ok;
  }
  fmt::print(io.out, "queue: {}\n", db_path);
  fmt::print(io.out, "{:<24} {:>6}", "BATCH", "TOTAL");
  for (JobState st : k_all_states) {
    fmt::print(io.out, " {:>11}", to_string(st));
  }
  io.out << "\n";
  for (const auto& s : *summaries) {
    fmt::print(io.out, "{:<24} {:>6}", s.name, s.total());
    for (JobState st : k_all_states) {
      fmt::print(io.out, " {:>11}", s.counts.at(st));
    }
    io.out << "\n";
  }
  print_runner(queue.value()->db(), *summaries, runner, rehearsal, db_path, io.out);
  print_spend(queue.value()->db(), *summaries, window, rehearsal, io.out);
  print_missing_results(queue.value()->db(), batch, db_path, io.out);
  return k_exit_ok;
}

}  // namespace reelq
