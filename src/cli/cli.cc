#include "cli/cli.h"

#include <CLI/CLI.hpp>

#include <ostream>

#include "cli/commands.h"

namespace reelq {

int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app{"reelq: run batches of apixo video renders within the API's caps, resumably"};
  app.set_version_flag("--version", std::string("reelq ") + REELQ_VERSION);
  app.require_subcommand(1);
  std::string db_path = "reelq.db";

  auto* validate = app.add_subcommand("validate", "Check manifests; report every problem as FILE:LINE:COL");
  std::vector<std::string> files;
  validate->add_option("files", files, "Manifest files")->required();

  auto* enqueue = app.add_subcommand("enqueue", "Add a manifest's jobs to the queue (idempotent)");
  std::string manifest;
  bool replace_changed = false;
  enqueue->add_option("manifest", manifest, "Manifest file")->required();
  enqueue->add_option("--db", db_path, "Queue database")->capture_default_str();
  enqueue->add_flag("--replace-changed", replace_changed, "Requeue unsubmitted jobs whose spec changed");

  auto* status = app.add_subcommand("status", "Counts per state for each batch");
  std::optional<std::string> batch;
  bool json = false;
  status->add_option("--db", db_path, "Queue database")->capture_default_str();
  status->add_option("--batch", batch, "Only this batch");
  status->add_flag("--json", json, "Machine-readable output");

  auto* sim = app.add_subcommand("sim", "Serve a simulated apixo API on 127.0.0.1 (no credits spent)");
  SimConfig sim_config;
  std::string port_file;
  std::string keys = "sim-key";
  double faults = 0;
  sim->add_option("--port", sim_config.port, "Port; 0 picks a free one and prints it")->capture_default_str();
  sim->add_option("--port-file", port_file, "Write the port to this file once listening");
  sim->add_option("--keys", keys, "Comma-separated API keys the simulator accepts")->capture_default_str();
  sim->add_option("--credits", sim_config.credits, "USD of credit per key")->capture_default_str();
  sim->add_option("--rpm", sim_config.rpm, "Requests per rolling minute, per key")->capture_default_str()->check(CLI::PositiveNumber);
  sim->add_option("--concurrency", sim_config.concurrency, "Tasks pending or processing, per key")
      ->capture_default_str()->check(CLI::PositiveNumber);
  sim->add_option("--time-scale", sim_config.time_scale, "Multiply every duration and the rate window")
      ->capture_default_str()->check(CLI::Range(0.0001, 100.0));
  sim->add_option("--seed", sim_config.seed, "Seed for render times and faults")->capture_default_str();
  sim->add_option("--mean-render", sim_config.mean_render_seconds, "Mean seconds to render an 8 s 720p video")
      ->capture_default_str()->check(CLI::PositiveNumber);
  sim->add_option("--reject-word", sim_config.reject_word, "Prompt word rejected at submit (CONTENT_VIOLATION)")
      ->capture_default_str();
  sim->add_option("--violation-word", sim_config.violation_word, "Prompt word whose task fails with CONTENT_VIOLATION")
      ->capture_default_str();
  sim->add_option("--bad-image-word", sim_config.bad_image_word, "Image URL word whose task fails with INVALID_IMAGE_URL")
      ->capture_default_str();
  sim->add_option("--url-ttl", sim_config.url_ttl_seconds, "Seconds a result URL stays valid (scaled)")->capture_default_str();
  sim->add_option("--faults", faults, "Chance per request of some fault, spread over every kind")->check(CLI::Range(0.0, 1.0));
  sim->add_option("--fault-5xx", sim_config.faults.server_error, "Chance of a 502 HTML page")->check(CLI::Range(0.0, 1.0));
  sim->add_option("--fault-drop-before", sim_config.faults.drop_before, "Chance of closing before acting")->check(CLI::Range(0.0, 1.0));
  sim->add_option("--fault-drop-after", sim_config.faults.drop_after, "Chance of closing after creating a task")->check(CLI::Range(0.0, 1.0));
  sim->add_option("--fault-slow", sim_config.faults.slow, "Chance of a slow answer")->check(CLI::Range(0.0, 1.0));
  sim->add_option("--slow-seconds", sim_config.faults.slow_seconds, "How slow a slow answer is (real seconds)")->capture_default_str();
  sim->add_option("--fault-truncate", sim_config.faults.truncate, "Chance of a truncated download")->check(CLI::Range(0.0, 1.0));
  sim->add_option("--fault-429", sim_config.faults.burst_429, "Chance of starting a burst of 429s")->check(CLI::Range(0.0, 1.0));
  sim->add_option("--ledger", sim_config.ledger_path, "Append every request to this file as a JSON line");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e, out, err) == 0 ? k_exit_ok : k_exit_usage;
  }
  CommandIo io{out, err};
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
  if (*status) {
    return cmd_status(db_path, batch, json, io);
  }
  return k_exit_usage;
}

}  // namespace reelq
