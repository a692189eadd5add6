#include "cli/cli.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>
#include <ostream>
#include <tuple>

#include "cli/cli_wiring.h"
#include "cli/commands.h"
#include "cli/db_location.h"
#include "cli/enqueue_notices.h"
#include "cli/time_window.h"
#include "cli/invocation.h"
#include "settings.h"
#include "util/text.h"

namespace reelq {

namespace {

// `reelq stats`: CLI11 would answer "A subcommand is required"; name the command meant instead.
std::optional<std::string> unknown_command(CLI::App& app, int argc, const char* const* argv) {
  if (argc < 2 || argv[1][0] == '-') {
    return std::nullopt;
  }
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    names.push_back(sub->get_name());
  }
  if (std::find(names.begin(), names.end(), argv[1]) != names.end()) {
    return std::nullopt;
  }
  std::string near = nearest_word(argv[1], names);
  std::string all;
  for (const auto& n : names) {
    all += (all.empty() ? "" : ", ") + n;
  }
  return "reelq: unknown command '" + std::string(argv[1]) + "'" +
         (near.empty() ? "" : "; did you mean '" + near + "'?") + "\nThe commands: " + all +
         ". `reelq COMMAND --help` says more.\n";
}

constexpr const char* k_keep_removed_help =
    "Leave queued the jobs no longer in the manifest (else they are cancelled, not submitted)";
constexpr const char* k_into_batch_help =
    "Add the jobs to the manifest's batch even though another manifest file created it";

constexpr const char* k_db_help =
    "Queue database (else REELQ_DB; else reelq.db beside the manifest, or found from the current folder up)";

}  // namespace

int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  if (argc > 0) {
    const char* path = std::getenv("PATH");
    std::error_code ec;
    set_reelq_command(invoked_as(argv[0], path ? path : "", std::filesystem::current_path(ec)));
  }
  CLI::App app{"reelq: run batches of apixo video renders within the API's caps, resumably"};
  app.set_version_flag("--version", std::string("reelq ") + REELQ_VERSION);
  app.require_subcommand(1);
  std::string db_path;  // "" = not given: see cli/db_location.h

  auto* validate = app.add_subcommand("validate", "Check manifests; report every problem as FILE:LINE:COL");
  std::vector<std::string> files;
  validate->add_option("files", files, "Manifest files")->required();

  auto* enqueue = app.add_subcommand("enqueue", "Add a manifest's jobs to the queue (idempotent)");
  std::string manifest;
  bool replace_changed = false;
  bool keep_removed = false;
  bool into_batch = false;
  enqueue->add_option("manifest", manifest, "Manifest file")->required();
  enqueue->add_option("--db", db_path, k_db_help);
  enqueue->add_flag("--replace-changed", replace_changed, "Requeue unsubmitted jobs whose spec changed");
  enqueue->add_flag("--keep-removed", keep_removed, k_keep_removed_help);
  enqueue->add_flag("--into-batch", into_batch, k_into_batch_help);

  auto* status = app.add_subcommand("status", "Counts per state for each batch");
  std::optional<std::string> batch;
  bool json = false;
  status->add_option("--db", db_path, k_db_help);
  status->add_option("--batch", batch, "Only this batch");
  status->add_flag("--json", json, "Machine-readable output");
  // What a night cost: the spend lines of status, batches and report count the submits in a window.
  std::string since;
  std::string until;
  const char* since_help = "Spend counts submits from this UTC date/time (2026-12-04, 2026-12-04T18:00) or age (12h)";
  const char* until_help = "Spend counts submits before this UTC date/time or age";
  status->add_option("--since", since, since_help);
  status->add_option("--until", until, until_help);
  bool failed_only = false;
  status->add_flag("--failed", failed_only, "The failed takes: job, take, code, message and what to type");

  RunWiring wiring;
  RunFlags& run_flags = wiring.flags;
  std::string manifest_to_run;
  std::optional<std::string> resume_batch;
  auto* run = app.add_subcommand("run", "Enqueue a manifest (idempotently) and drain its batch");
  run->add_option("manifest", manifest_to_run, "Manifest file")->required();
  run->add_flag("--replace-changed", run_flags.replace_changed, "Requeue unsubmitted jobs whose spec changed");
  run->add_flag("--keep-removed", run_flags.keep_removed, k_keep_removed_help);
  run->add_flag("--into-batch", run_flags.into_batch, k_into_batch_help);
  bool rehearse = false;
  run->add_flag("--rehearse", rehearse,
                "Run the whole batch against the built-in simulator instead of the API (about a minute, no key, "
                "no credits, its own folder and database); then run without it for real");
  wire_run_flags(run, wiring);
  auto* resume = app.add_subcommand("resume", "Drain what the database holds (after a stop, a crash, a top-up)");
  resume->add_option("--batch", resume_batch, "Only this batch (default: every unfinished one)");
  wire_run_flags(resume, wiring);

  auto* sim = app.add_subcommand("sim", "Serve a simulated apixo API on 127.0.0.1 (no credits spent)");
  SimWiring sim_wiring;
  wire_sim_flags(sim, sim_wiring);

  ReportFlags report_flags;
  auto* report = app.add_subcommand("report", "A batch's outcome as CSV, JSON or an HTML page");
  report->add_option("--db", report_flags.db, k_db_help);
  report->add_option("--batch", report_flags.batch, "Only this batch (default: every batch)");
  report->add_option("--format", report_flags.format,
                     "csv, json or html (default: from -o's extension; csv on standard output)");
  report->add_option("-o,--output", report_flags.output, "Write to this file (default: standard output)");
  report->add_option("--prices", report_flags.prices, "Price table for the spend shown (default: built-in)");
  report->add_option("--since", since, since_help);
  report->add_option("--until", until, until_help);
  report->add_option("--state", report_flags.state,
                     "Only the takes in this state (queued, submitting, running, downloading, succeeded, failed, "
                     "cancelled)");

  auto* batches = app.add_subcommand("batches", "Every batch in the database with its counts and age");
  batches->add_option("--db", db_path, k_db_help);
  batches->add_option("--since", since, since_help);
  batches->add_option("--until", until, until_help);

  EstimateFlags estimate_flags;
  auto* estimate = app.add_subcommand("estimate", "Renders, seconds of video, cost and least wall time of a manifest");
  estimate->add_option("manifest", estimate_flags.manifest, "Manifest file")->required();
  estimate->add_option("--prices", estimate_flags.prices, "Price table (JSON like schemas/prices.json)");
  std::string est_rpm;
  std::string est_concurrent;
  auto* est_rpm_opt = estimate->add_option("--rpm", est_rpm, "Requests per minute of the plan (default 60)");
  auto* est_conc_opt = estimate->add_option("--max-concurrent", est_concurrent, "Tasks at once (default 10)");

  JobSelector selector;
  auto add_selector = [&](CLI::App* cmd) {
    cmd->add_option("--db", db_path, k_db_help);
    cmd->add_option("--batch", selector.batch,
                    "Only this batch (retry: default every batch; cancel: say "
                    "--batch, --job or --all)");
    cmd->add_option("--job", selector.job_ids, "Only this job id (repeatable)");
  };
  auto* retry = app.add_subcommand("retry", "Requeue failed jobs, keeping their history; `reelq resume` runs them");
  add_selector(retry);
  retry->add_option("--fail-code", selector.fail_codes, "Only jobs failed with this code (repeatable)");
  retry->add_flag("--cancelled", selector.include_cancelled, "Requeue cancelled jobs too");
  auto* cancel = app.add_subcommand("cancel", "Cancel queued jobs (tasks already at the API still finish)");
  add_selector(cancel);
  bool cancel_all = false;
  cancel->add_flag("--all", cancel_all, "Every queued job of every batch");

  auto* download = app.add_subcommand("download", "Fetch rendered results that are not on disk");
  std::optional<std::string> download_batch;
  std::string download_ca;
  download->add_option("--db", db_path, k_db_help);
  download->add_option("--batch", download_batch, "Only this batch");
  download->add_option("--ca-file", download_ca, "Trust this CA bundle instead of the system's");

  if (auto unknown = unknown_command(app, argc, argv)) {
    err << *unknown;
    return k_exit_usage;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e, out, err) == 0 ? k_exit_ok : k_exit_usage;
  }
  CommandIo io{out, err};
  // Commands without a manifest find the queue from where the user stands (cli/db_location.h).
  auto locate = [&](std::string& db) {
    auto found = db_without_manifest(db, std::filesystem::current_path());
    if (!found) {
      return report_error(err, found.error());
    }
    db = found->path.string();
    return -1;
  };
  if (*run || *resume) {
    CLI::App* cmd = *run ? run : resume;
    collect_run_settings(cmd, wiring);
    run_flags.style = wiring.log_json                                ? OutputStyle::json
                      : wiring.quiet                                 ? OutputStyle::quiet
                      : isatty(fileno(stdout)) && &out == &std::cout ? OutputStyle::terminal
                                                                     : OutputStyle::plain;
    if (*run && rehearse) {
      return cmd_rehearse(manifest_to_run, run_flags, io);
    }
    if (*run) {
      return cmd_run(manifest_to_run, run_flags, io);
    }
    if (int rc = locate(run_flags.db); rc >= 0) {
      return rc;
    }
    return cmd_resume(resume_batch, run_flags, io);
  }
  if (*sim) {
    return cmd_sim(finish_sim_config(sim_wiring), sim_wiring.port_file, io);
  }
  if (*validate) {
    return cmd_validate(files, io);
  }
  if (*enqueue) {
    return cmd_enqueue(manifest, db_path, enqueue_options(replace_changed, keep_removed, into_batch), io);
  }
  TimeWindow window;
  if (*status || *batches || *report) {
    auto w = parse_time_window(since, until, system_clock().now_ms());
    if (!w) {
      return report_error(io.err, w.error());
    }
    window = report_flags.window = *w;
  }
  if (*report) {
    if (int rc = locate(report_flags.db); rc >= 0) {
      return rc;
    }
    return cmd_report(report_flags, io);
  }
  if (*status || *batches || *retry || *cancel || *download) {
    if (int rc = locate(db_path); rc >= 0) {
      return rc;
    }
  }
  if (*status && failed_only) {
    if (json) {
      err << "reelq status: --failed is a table for people; `" << reelq_command()
          << " report --state failed --format json` is its machine-readable form\n";
      return k_exit_usage;
    }
    return cmd_failed(db_path, batch, io);
  }
  if (*status) {
    return cmd_status(db_path, batch, json, window, io);
  }
  if (*batches) {
    return cmd_batches(db_path, window, io);
  }
  if (*estimate) {
    if (est_rpm_opt->count() > 0) {
      estimate_flags.settings.emplace_back("rpm", est_rpm);
    }
    if (est_conc_opt->count() > 0) {
      estimate_flags.settings.emplace_back("max_concurrent", est_concurrent);
    }
    return cmd_estimate(estimate_flags, io);
  }
  if (*retry) {
    return cmd_retry(db_path, selector, io);
  }
  if (*cancel) {
    // A bare `reelq cancel` would stop every batch in the database: make that a deliberate act.
    if (!selector.batch && selector.job_ids.empty() && !cancel_all) {
      err << "reelq cancel: say what to cancel: --batch NAME, --job ID, or --all\n";
      return k_exit_usage;
    }
    return cmd_cancel(db_path, selector, io);
  }
  if (*download) {
    return cmd_download(db_path, download_batch, download_ca, io);
  }
  return k_exit_usage;
}

}  // namespace reelq
