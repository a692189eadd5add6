#include "cli/cli.h"

#include <fmt/format.h>
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

#include "cli/argv_secrets.h"
#include "cli/cli_docs.h"
#include "cli/cli_wiring.h"
#include "cli/commands.h"
#include "cli/db_location.h"
#include "cli/enqueue_notices.h"
#include "cli/invocation.h"
#include "cli/option_values.h"
#include "cli/time_window.h"
#include "queue/database.h"
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
  for (const CLI::App* sub : visible_commands(app)) {
    all += (all.empty() ? "" : ", ") + sub->get_name();
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

// What a night cost: the spend lines of status, batches and report count the submits in a window.
constexpr const char* k_since_help =
    "Spend counts submits from this UTC date/time (2026-12-04, 2026-12-04T18:00) or age (12h)";
constexpr const char* k_until_help = "Spend counts submits before this UTC date/time or age";

// Everything the command line parses into, and the subcommands that name it. Options point into it:
// it is built once and never moved.
struct Parsed {
  std::string db_path;  // "" = not given: see cli/db_location.h
  std::string since;
  std::string until;

  CLI::App* validate = nullptr;
  std::vector<std::string> files;

  CLI::App* enqueue = nullptr;
  std::string manifest;
  bool replace_changed = false;
  bool keep_removed = false;
  bool into_batch = false;

  CLI::App* status = nullptr;
  std::optional<std::string> batch;
  bool json = false;
  bool failed_only = false;

  CLI::App* run = nullptr;
  CLI::App* resume = nullptr;
  RunWiring wiring;
  std::string manifest_to_run;
  std::optional<std::string> resume_batch;
  bool rehearse = false;

  CLI::App* sim = nullptr;
  SimWiring sim_wiring;

  CLI::App* report = nullptr;
  ReportFlags report_flags;
  CLI::App* batches = nullptr;

  CLI::App* estimate = nullptr;
  EstimateFlags estimate_flags;
  std::string est_rpm;
  std::string est_concurrent;
  CLI::Option* est_rpm_opt = nullptr;
  CLI::Option* est_conc_opt = nullptr;
  std::string est_max_spend;
  CLI::Option* est_spend_opt = nullptr;

  JobSelector selector;
  CLI::App* retry = nullptr;
  CLI::App* cancel = nullptr;
  bool cancel_all = false;

  CLI::App* download = nullptr;
  std::optional<std::string> download_batch;
  std::string download_ca;

  CLI::App* deliver = nullptr;
  DeliverFlags deliver_flags;

  CLI::App* root = nullptr;
  CLI::App* completion = nullptr;
  std::string shell;
  CLI::App* man_page = nullptr;
};

// validate, enqueue, status: the commands that read manifests into the queue and show it.
void wire_queue_commands(CLI::App& app, Parsed& p) {
  p.validate = app.add_subcommand("validate", "Check manifests; report every problem as FILE:LINE:COL");
  p.validate->add_option("files", p.files, "Manifest files")->required();

  p.enqueue = app.add_subcommand("enqueue", "Add a manifest's jobs to the queue (idempotent)");
  p.enqueue->add_option("manifest", p.manifest, "Manifest file")->required();
  p.enqueue->add_option("--db", p.db_path, k_db_help);
  p.enqueue->add_flag("--replace-changed", p.replace_changed, "Requeue unsubmitted jobs whose spec changed");
  p.enqueue->add_flag("--keep-removed", p.keep_removed, k_keep_removed_help);
  p.enqueue->add_flag("--into-batch", p.into_batch, k_into_batch_help);

  p.status = app.add_subcommand("status", "Counts per state for each batch");
  p.status->add_option("--db", p.db_path, k_db_help);
  p.status->add_option("--batch", p.batch, "Only this batch");
  p.status->add_flag("--json", p.json, "Machine-readable output");
  p.status->add_option("--since", p.since, k_since_help);
  p.status->add_option("--until", p.until, k_until_help);
  p.status->add_flag("--failed", p.failed_only, "The failed takes: job, take, code, message and what to type");
}

// run, resume and sim: the commands that drain batches, and the API they can drain against.
void wire_run_commands(CLI::App& app, Parsed& p) {
  RunFlags& run_flags = p.wiring.flags;
  p.run = app.add_subcommand("run", "Enqueue a manifest (idempotently) and drain its batch");
  p.run->add_option("manifest", p.manifest_to_run, "Manifest file")->required();
  p.run->add_flag("--replace-changed", run_flags.replace_changed, "Requeue unsubmitted jobs whose spec changed");
  p.run->add_flag("--keep-removed", run_flags.keep_removed, k_keep_removed_help);
  p.run->add_flag("--into-batch", run_flags.into_batch, k_into_batch_help);
  p.run->add_flag("--rehearse", p.rehearse,
                  "Run the whole batch against the built-in simulator instead of the API (about a minute, no key, "
                  "no credits, its own folder and database); then run without it for real");
  wire_run_flags(p.run, p.wiring);
  p.resume = app.add_subcommand("resume", "Drain what the database holds (after a stop, a crash, a top-up)");
  p.resume->add_option("--batch", p.resume_batch, "Only this batch (default: every unfinished one)");
  wire_run_flags(p.resume, p.wiring);

  p.sim = app.add_subcommand("sim", "Serve a simulated apixo API on 127.0.0.1 (no credits spent)");
  wire_sim_flags(p.sim, p.sim_wiring);
}

// report, batches, estimate: what a batch did and what a manifest would cost.
void wire_report_commands(CLI::App& app, Parsed& p) {
  ReportFlags& f = p.report_flags;
  p.report = app.add_subcommand("report", "A batch's outcome as CSV, JSON or an HTML page");
  p.report->add_option("--db", f.db, k_db_help);
  p.report->add_option("--batch", f.batch, "Only this batch (default: every batch)");
  p.report->add_option("--format", f.format,
                       "csv, json or html (default: from -o's extension; csv on standard output)");
  p.report->add_option("-o,--output", f.output, "Write to this file (default: standard output)");
  p.report->add_option("--prices", f.prices, "Price table for the spend shown (default: built-in)");
  p.report->add_option("--since", p.since, k_since_help);
  p.report->add_option("--until", p.until, k_until_help);
  p.report->add_option("--state", f.state,
                       "Only the takes in this state");

  p.batches = app.add_subcommand("batches", "Every batch in the database with its counts and age");
  p.batches->add_option("--db", p.db_path, k_db_help);
  p.batches->add_option("--since", p.since, k_since_help);
  p.batches->add_option("--until", p.until, k_until_help);

  p.estimate = app.add_subcommand("estimate", "Renders, seconds of video, cost and least wall time of a manifest");
  p.estimate->add_option("manifest", p.estimate_flags.manifest, "Manifest file")->required();
  p.estimate->add_option("--prices", p.estimate_flags.prices, "Price table (JSON like schemas/prices.json)");
  p.estimate->add_option("--keys", p.estimate_flags.keys_file,
                         "Keys file (else REELQ_KEYS): the wall time with the pool's slots; no key is read");
  p.est_rpm_opt = p.estimate->add_option("--rpm", p.est_rpm, "Requests per minute of the plan (default 60)");
  p.est_conc_opt = p.estimate->add_option("--max-concurrent", p.est_concurrent, "Tasks at once (default 10)");
  p.est_spend_opt = p.estimate->add_option("--max-spend", p.est_max_spend,
                                           "A spend cap (USD) to set against the cost: how many renders it pays for");
}

// retry, cancel, download: what changes jobs of a queue, or fetches their results.
void wire_job_commands(CLI::App& app, Parsed& p) {
  auto add_selector = [&](CLI::App* cmd) {
    cmd->add_option("--db", p.db_path, k_db_help);
    cmd->add_option("--batch", p.selector.batch,
                    "Only this batch (retry: default every batch; cancel: say "
                    "--batch, --job or --all)");
    cmd->add_option("--job", p.selector.job_ids, "Only this job id (repeatable)");
  };
  p.retry = app.add_subcommand("retry", "Requeue failed jobs, keeping their history; `reelq resume` runs them");
  add_selector(p.retry);
  p.retry->add_option("--fail-code", p.selector.fail_codes, "Only jobs failed with this code (repeatable)");
  p.retry->add_flag("--cancelled", p.selector.include_cancelled, "Requeue cancelled jobs too");
  p.cancel = app.add_subcommand("cancel", "Cancel queued jobs (tasks already at the API still finish)");
  add_selector(p.cancel);
  p.cancel->add_flag("--all", p.cancel_all, "Every queued job of every batch");

  p.download = app.add_subcommand("download", "Fetch rendered results that are not on disk");
  p.download->add_option("--db", p.db_path, k_db_help);
  p.download->add_option("--batch", p.download_batch, "Only this batch");
  p.download->add_option("--ca-file", p.download_ca, "Trust this CA bundle instead of the system's");

  DeliverFlags& d = p.deliver_flags;
  p.deliver = app.add_subcommand("deliver", "Link or copy the succeeded (or picked) takes into a folder, checked");
  p.deliver->add_option("--to", d.to, "The delivery folder (created if missing)")->required();
  p.deliver->add_option("--db", d.db, k_db_help);
  p.deliver->add_option("--picks", d.picks, "Only the takes marked pick or star in this review-page export");
  p.deliver->add_option("--batch", d.batch, "Only this batch (default: the picks' batch, else every batch)");
  p.deliver->add_flag("--from-rehearsal", d.from_rehearsal,
                      "Deliver from a rehearsal's queue anyway: its videos are the simulator's placeholders");
  p.deliver->add_flag("--copy", d.copy,
                      "Copy every file, never hard-link (for a folder that will be edited: a link shares its bytes "
                      "with reelq's render)");
  p.deliver
      ->add_option("--name", d.name,
                   "File names: {job} {take} {batch} {ext} {index} (the extension is added "
                   "when {ext} is not used)")
      ->capture_default_str();
}

// completion and man-page: the shell completions and the man page, made from this very table.
void wire_doc_commands(CLI::App& app, Parsed& p) {
  p.root = &app;
  p.completion =
      app.add_subcommand("completion", "Print the bash or zsh completion script (make install installs both)");
  p.completion->add_option("shell", p.shell, "bash or zsh")->required()->check(CLI::IsMember({"bash", "zsh"}));
  p.man_page = app.add_subcommand("man-page", "Print reelq.1, the man page")->group("");
}

std::string version_text() {
  return fmt::format("reelq {} (queue schema {})", REELQ_VERSION, latest_schema_version());
}

// Commands without a manifest find the queue from where the user stands (cli/db_location.h).
// Returns an exit code to stop with, or -1 with `db` set.
int locate(std::string& db, std::ostream& err) {
  auto found = db_without_manifest(db, std::filesystem::current_path());
  if (!found) {
    return report_error(err, found.error());
  }
  db = found->path.string();
  return -1;
}

// run (or its rehearsal) and resume, in the output style the flags and the terminal ask for.
int dispatch_run(Parsed& p, CommandIo io) {
  CLI::App* cmd = *p.run ? p.run : p.resume;
  RunFlags& run_flags = p.wiring.flags;
  collect_run_settings(cmd, p.wiring);
  run_flags.style = p.wiring.log_json                                 ? OutputStyle::json
                    : p.wiring.quiet                                  ? OutputStyle::quiet
                    : isatty(fileno(stdout)) && &io.out == &std::cout ? OutputStyle::terminal
                                                                      : OutputStyle::plain;
  // A webhook that could never be reached is refused now, before anything is enqueued or sent, not
  // found out at the end of the night (a rehearsal checks it too: it is the night's dress rehearsal).
  if (auto st = check_finish_hooks(run_flags.hooks); !st) {
    return report_error(io.err, st.error());
  }
  if (*p.run && p.rehearse) {
    return cmd_rehearse(p.manifest_to_run, run_flags, io);
  }
  if (*p.run) {
    return cmd_run(p.manifest_to_run, run_flags, io);
  }
  if (int rc = locate(run_flags.db, io.err); rc >= 0) {
    return rc;
  }
  return cmd_resume(p.resume_batch, run_flags, io);
}

// status, batches and report: each within the --since/--until window.
int dispatch_reading(Parsed& p, CommandIo io) {
  auto w = parse_time_window(p.since, p.until, system_clock().now_ms());
  if (!w) {
    return report_error(io.err, w.error());
  }
  TimeWindow window = p.report_flags.window = *w;
  std::string& db = *p.report ? p.report_flags.db : p.db_path;
  if (int rc = locate(db, io.err); rc >= 0) {
    return rc;
  }
  if (*p.report) {
    return cmd_report(p.report_flags, io);
  }
  if (*p.batches) {
    return cmd_batches(p.db_path, window, io);
  }
  if (p.failed_only) {
    if (p.json) {
      io.err << "reelq status: --failed is a table for people; `" << reelq_command()
             << " report --state failed --format json` is its machine-readable form\n";
      return k_exit_usage;
    }
    return cmd_failed(p.db_path, p.batch, io);
  }
  return cmd_status(p.db_path, p.batch, p.json, window, io);
}

// retry, cancel and download, on the queue found from where the user stands.
int dispatch_jobs(Parsed& p, CommandIo io) {
  if (int rc = locate(p.db_path, io.err); rc >= 0) {
    return rc;
  }
  if (*p.retry) {
    return cmd_retry(p.db_path, p.selector, io);
  }
  if (*p.cancel) {
    // A bare `reelq cancel` would stop every batch in the database: make that a deliberate act.
    if (!p.selector.batch && p.selector.job_ids.empty() && !p.cancel_all) {
      io.err << "reelq cancel: say what to cancel: --batch NAME, --job ID, or --all\n";
      return k_exit_usage;
    }
    return cmd_cancel(p.db_path, p.selector, io);
  }
  return cmd_download(p.db_path, p.download_batch, p.download_ca, io);
}

int dispatch(Parsed& p, CommandIo io) {
  if (*p.run || *p.resume) {
    return dispatch_run(p, io);
  }
  if (*p.sim) {
    auto config = finish_sim_config(p.sim_wiring);
    if (!config) {
      return report_error(io.err, config.error());
    }
    return cmd_sim(*config, p.sim_wiring.port_file, io);
  }
  if (*p.validate) {
    return cmd_validate(p.files, io);
  }
  if (*p.enqueue) {
    return cmd_enqueue(p.manifest, p.db_path, enqueue_options(p.replace_changed, p.keep_removed, p.into_batch), io);
  }
  if (*p.status || *p.batches || *p.report) {
    return dispatch_reading(p, io);
  }
  if (*p.estimate) {
    if (p.est_rpm_opt->count() > 0) {
      p.estimate_flags.settings.emplace_back("rpm", p.est_rpm);
    }
    if (p.est_conc_opt->count() > 0) {
      p.estimate_flags.settings.emplace_back("max_concurrent", p.est_concurrent);
    }
    if (p.est_spend_opt->count() > 0) {
      p.estimate_flags.settings.emplace_back("max_spend", p.est_max_spend);
    }
    return cmd_estimate(p.estimate_flags, io);
  }
  if (*p.retry || *p.cancel || *p.download) {
    return dispatch_jobs(p, io);
  }
  if (*p.completion) {
    io.out << (p.shell == "bash" ? bash_completion(*p.root) : zsh_completion(*p.root));
    return k_exit_ok;
  }
  if (*p.man_page) {
    io.out << man_page(*p.root, version_text());
    return k_exit_ok;
  }
  if (*p.deliver) {
    if (int rc = locate(p.deliver_flags.db, io.err); rc >= 0) {
      return rc;
    }
    return cmd_deliver(p.deliver_flags, io);
  }
  return k_exit_usage;
}

}  // namespace

int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  if (argc > 0) {
    const char* path = std::getenv("PATH");
    std::error_code ec;
    set_reelq_command(invoked_as(argv[0], path ? path : "", std::filesystem::current_path(ec)));
  }
  CLI::App app{"reelq: run batches of apixo video renders within the API's caps, resumably"};
  app.set_version_flag("--version", version_text());
  app.require_subcommand(1);
  Parsed parsed;
  wire_queue_commands(app, parsed);
  wire_run_commands(app, parsed);
  wire_report_commands(app, parsed);
  wire_job_commands(app, parsed);
  wire_doc_commands(app, parsed);
  label_option_values(app);
  remember_secret_words(argc, argv);
  if (auto refusal = key_flag_refusal(argc, argv)) {
    err << *refusal;
    return k_exit_usage;
  }
  if (auto unknown = unknown_command(app, argc, argv)) {
    err << *unknown;
    return k_exit_usage;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {  // --help, --version
      return app.exit(e, out, err) == 0 ? k_exit_ok : k_exit_usage;
    }
    // CLI11 quotes the words it did not expect; a key typed by mistake is not printed back.
    const char* key = std::getenv("APIXO_API_KEY");
    err << "reelq: " << without_secret_words(e.what(), argc, argv, key ? key : "")
        << "\nRun with --help for more information.\n";
    return k_exit_usage;
  }
  return dispatch(parsed, CommandIo{out, err});
}

}  // namespace reelq
