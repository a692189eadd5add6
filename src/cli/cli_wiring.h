#pragma once
// The flag wiring of the commands whose flags are many, one function each, so run_cli reads as a
// list of commands.
#include <CLI/CLI.hpp>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "cli/commands.h"
#include "sim/sim_config.h"

namespace reelq {

// What `run` and `resume` parse into.
struct RunWiring {
  RunFlags flags;
  std::map<std::string, std::string> setting_values;  // by command name + setting key
  std::vector<std::tuple<std::string, CLI::App*, CLI::Option*>> setting_options;
  bool quiet = false;
  bool log_json = false;
};

// Every Settings key as --key-with-dashes, plus --mode (request_type), the key file, the CA file,
// the balance flags and the output style.
void wire_run_flags(CLI::App* cmd, RunWiring& w);
// The settings given on `cmd`'s command line, into w.flags.settings.
void collect_run_settings(CLI::App* cmd, RunWiring& w);

struct SimWiring {
  SimConfig config;
  std::string port_file;
  std::string keys = "sim-key";
  std::string revoked;  // --revoked NAME,...
  double faults = 0;
  std::string plan = "pro";  // the caps --rpm and --concurrency start from
  std::optional<int> rpm;
  std::optional<int> concurrency;
};

void wire_sim_flags(CLI::App* sim, SimWiring& w);
// The config with --keys parsed (sim_config.h parse_sim_keys) and --revoked applied, the plan's caps
// (unless --rpm or --concurrency say otherwise) and --faults spread over every kind; a usage error
// for a --keys or --revoked that does not read.
Result<SimConfig> finish_sim_config(SimWiring& w);

}  // namespace reelq
