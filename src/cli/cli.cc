#include "cli/cli.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>
#include <optional>
#include <ostream>
#include <tuple>

#include "cli/commands.h"
#include "cli/db_location.h"
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

constexpr const char* k_db_help =
    "Queue database (else REELQ_DB; else reelq.db beside the manifest, or found from the current folder up)";

}  // namespace

int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
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
  enqueue->add_option("manifest", manifest, "Manifest file")->required();
  enqueue->add_option("--db", db_path, k_db_help);
  enqueue->add_flag("--replace-changed", replace_changed, "Requeue unsubmitted jobs whose spec changed");

  auto* status = app.add_subcommand("status", "Counts per state for each batch");
  std::optional<std::string> batch;
  bool json = false;
  status->add_option("--db", db_path, k_db_help);
  status->add_option("--batch", batch, "Only this batch");
  status->add_flag("--json", json, "Machine-readable output");

  RunFlags run_flags;
  std::map<std::string, std::string> setting_values;
  std::vector<std::tuple<std::string, CLI::App*, CLI::Option*>> setting_options;
  bool quiet = false;
  bool log_json = false;
  std::string manifest_to_run;
  std::optional<std::string> resume_batch;
  auto add_run_flags = [&](CLI::App* cmd) {
    cmd->add_option("--db", run_flags.db, k_db_help);
    cmd->add_option("--api-key-file", run_flags.api_key_file, "Read the API key from this file (else APIXO_API_KEY)");
    cmd->add_option("--ca-file", run_flags.ca_file, "Trust this CA bundle instead of the system's");
    const std::map<std::string, std::string> help = {
        {"api_base", "API base URL (REELQ_API_BASE)"},
        {"rpm", "API requests per rolling minute, all endpoints (default 60)"},
        {"max_concurrent", "Tasks at the API at once (default 10)"},
        {"poll_initial", "Seconds before a task's first poll until render times are learned (default 120)"},
        {"poll_interval", "Least seconds between polls of one task (default 2)"},
        {"output_dir", "Folder for results (default renders/BATCH next to the manifest)"},
        {"download_concurrency", "Result downloads at once (default 4)"},
        {"max_attempts", "Attempts per job for transient errors (default 5)"},
        {"on_ambiguous", "resubmit (default, flagged) or hold a submit whose fate is unknown"},
        {"request_type", "async (default)"},
        {"time_scale", "Multiply the runner's time constants (pairs with reelq sim --time-scale)"},
        {"render_deadline", "Seconds after submit before a task still rendering is given up on (default 3600)"}};
    for (const auto& key : setting_keys()) {
      std::string flag = "--" + key;
      std::replace(flag.begin(), flag.end(), '_', '-');
      setting_options.emplace_back(key, cmd,
                                   cmd->add_option(flag, setting_values[cmd->get_name() + key], help.at(key)));
    }
    cmd->add_flag("--allow-partial", run_flags.allow_partial,
                  "Start even if the balance cannot pay for every render left");
    cmd->add_option("--prices", run_flags.prices, "Price table for the balance check (default: built-in)");
    cmd->add_flag("--quiet", quiet, "Print only problems and the summary");
    cmd->add_flag("--log-json", log_json, "Log as JSON lines");
  };
  auto* run = app.add_subcommand("run", "Enqueue a manifest (idempotently) and drain its batch");
  run->add_option("manifest", manifest_to_run, "Manifest file")->required();
  run->add_flag("--replace-changed", run_flags.replace_changed, "Requeue unsubmitted jobs whose spec changed");
  bool rehearse = false;
  run->add_flag("--rehearse", rehearse,
                "Run the whole batch against the built-in simulator instead of the API (about a minute, no key, "
                "no credits, its own folder and database); then run without it for real");
  add_run_flags(run);
  auto* resume = app.add_subcommand("resume", "Drain what the database holds (after a stop, a crash, a top-up)");
  resume->add_option("--batch", resume_batch, "Only this batch (default: every unfinished one)");
  add_run_flags(resume);

  auto* sim = app.add_subcommand("sim", "Serve a simulated apixo API on 127.0.0.1 (no credits spent)");
  SimConfig sim_config;
  std::string port_file;
  std::string keys = "sim-key";
  double faults = 0;
  sim->add_option("--port", sim_config.port, "Port; 0 picks a free one and prints it")->capture_default_str();
  sim->add_option("--port-file", port_file, "Write the port to this file once listening");
  sim->add_option("--keys", keys, "Comma-separated API keys the simulator accepts")->capture_default_str();
  sim->add_option("--credits", sim_config.credits, "USD of credit per key")->capture_default_str();
  sim->add_option("--rpm", sim_config.rpm, "Requests per rolling minute, per key")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  sim->add_option("--concurrency", sim_config.concurrency, "Tasks pending or processing, per key")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  sim->add_option("--time-scale", sim_config.time_scale, "Multiply every duration and the rate window")
      ->capture_default_str()
      ->check(CLI::Range(0.0001, 100.0));
  sim->add_option("--seed", sim_config.seed, "Seed for render times and faults")->capture_default_str();
  sim->add_option("--mean-render", sim_config.mean_render_seconds, "Mean seconds to render an 8 s 720p video")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  sim->add_option("--reject-word", sim_config.reject_word, "Prompt word rejected at submit (CONTENT_VIOLATION)")
      ->capture_default_str();
  sim->add_option("--violation-word", sim_config.violation_word, "Prompt word whose task fails with CONTENT_VIOLATION")
      ->capture_default_str();
  sim->add_option("--bad-image-word", sim_config.bad_image_word,
                  "Image URL word whose task fails with INVALID_IMAGE_URL")
      ->capture_default_str();
  sim->add_option("--url-ttl", sim_config.url_ttl_seconds, "Seconds a result URL stays valid (scaled)")
      ->capture_default_str();
  sim->add_option("--faults", faults, "Chance per request of some fault, spread over every kind")
      ->check(CLI::Range(0.0, 1.0));
  sim->add_option("--fault-5xx", sim_config.faults.server_error, "Chance of a 502 HTML page")
      ->check(CLI::Range(0.0, 1.0));
  sim->add_option("--fault-drop-before", sim_config.faults.drop_before, "Chance of closing before acting")
      ->check(CLI::Range(0.0, 1.0));
  sim->add_option("--fault-drop-after", sim_config.faults.drop_after, "Chance of closing after creating a task")
      ->check(CLI::Range(0.0, 1.0));
  sim->add_option("--fault-slow", sim_config.faults.slow, "Chance of a slow answer")->check(CLI::Range(0.0, 1.0));
  sim->add_option("--slow-seconds", sim_config.faults.slow_seconds, "How slow a slow answer is (real seconds)")
      ->capture_default_str();
  sim->add_option("--fault-truncate", sim_config.faults.truncate, "Chance of a truncated download")
      ->check(CLI::Range(0.0, 1.0));
  sim->add_option("--fault-429", sim_config.faults.burst_429, "Chance of starting a burst of 429s")
      ->check(CLI::Range(0.0, 1.0));
  sim->add_option("--ledger", sim_config.ledger_path, "Append every request to this file as a JSON line");
  sim->add_option_function<std::string>(
         "--hostile", [&](const std::string& name) { sim_config.hostile = *parse_sim_hostile(name); },
         "One hostile answer about the first task or request (docs/reliability.md)")
      ->check(CLI::IsMember(sim_hostile_names()));

  ReportFlags report_flags;
  auto* report = app.add_subcommand("report", "A batch's outcome as CSV, JSON or an HTML page");
  report->add_option("--db", report_flags.db, k_db_help);
  report->add_option("--batch", report_flags.batch, "Only this batch (default: every batch)");
  report->add_option("--format", report_flags.format, "csv, json or html (default: from -o's extension, else csv)");
  report->add_option("-o,--output", report_flags.output, "Write to this file (default: standard output)");
  report->add_option("--prices", report_flags.prices, "Price table for the spend shown (default: built-in)");

  auto* batches = app.add_subcommand("batches", "Every batch in the database with its counts and age");
  batches->add_option("--db", db_path, k_db_help);

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
    cmd->add_option("--batch", selector.batch, "Only this batch (retry: default every batch; cancel: say "
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
    for (const auto& [key, owner, option] : setting_options) {
      if (option->count() > 0 && owner == cmd) {
        run_flags.settings.emplace_back(key, setting_values[cmd->get_name() + key]);
      }
    }
    run_flags.style = log_json                                       ? OutputStyle::json
                      : quiet                                        ? OutputStyle::quiet
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
    sim_config.keys.clear();
    for (size_t start = 0; start <= keys.size();) {
      size_t end = std::min(keys.find(',', start), keys.size());
      if (end > start) {
        sim_config.keys.push_back(keys.substr(start, end - start));
      }
      start = end + 1;
    }
    if (faults > 0) {
      FaultRates& f = sim_config.faults;
      double each = faults / 6;
      f.server_error = f.drop_before = f.drop_after = f.slow = f.truncate = f.burst_429 = each;
    }
    return cmd_sim(sim_config, port_file, io);
  }
  if (*validate) {
    return cmd_validate(files, io);
  }
  if (*enqueue) {
    return cmd_enqueue(manifest, db_path, replace_changed ? OnChanged::replace : OnChanged::refuse, io);
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
  if (*status) {
    return cmd_status(db_path, batch, json, io);
  }
  if (*batches) {
    return cmd_batches(db_path, io);
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
