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

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e, out, err) == 0 ? k_exit_ok : k_exit_usage;
  }
  CommandIo io{out, err};
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
