// `reelq sim`: serve the simulated API until SIGINT or SIGTERM.
#include <fmt/format.h>
#include <fmt/ostream.h>

#include <csignal>
#include <ostream>

#include "cli/cli.h"
#include "cli/commands.h"
#include "sim/sim_server.h"
#include "util/safe_file.h"

namespace reelq {

int cmd_sim(const SimConfig& config, const std::string& port_file, CommandIo io) {
  // Block the stop signals before any thread starts, so every thread inherits the mask and the
  // signal is taken here by sigwait rather than killing a server thread mid-answer.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  // A client that goes away mid-answer (an endless or trickling download given up on) must not
  // take the simulator with it.
  std::signal(SIGPIPE, SIG_IGN);

  // The simulator core opens its ledger the same safe way, but has no one to tell when it cannot.
  if (!config.ledger_path.empty()) {
    if (auto ledger = WriteFile::open(config.ledger_path, WriteMode::append); !ledger) {
      io.err << "reelq sim: " << ledger.error().message << "\n";
      return k_exit_usage;
    }
  }
  SimServer server(config);
  if (auto st = server.start(); !st) {
    io.err << "reelq sim: " << st.error().message << "\n";
    return k_exit_usage;
  }
  if (!port_file.empty()) {
    // Renamed into place whole, so a reader polling for it never sees it empty.
    auto st = replace_file(port_file, port_file + ".tmp", [&](std::ostream& out) { out << server.port() << "\n"; });
    if (!st) {
      io.err << "reelq sim: " << st.error().message << "\n";
      server.stop();
      return k_exit_usage;
    }
  }
  // Names only: a key's text is never printed.
  std::string names;
  for (size_t i = 0; i < config.keys.size(); ++i) {
    names += (i ? ", " : "") + sim_key_name(config.keys, i);
  }
  fmt::print(io.out, "reelq sim listening on {} (rpm {}, concurrency {}, time scale {}, {} key{}: {})\n",
             server.base_url(), config.rpm, config.concurrency, config.time_scale, config.keys.size(),
             config.keys.size() == 1 ? "" : "s", names);
  io.out.flush();
  int sig = 0;
  sigwait(&stop_signals, &sig);
  server.stop();
  fmt::print(io.out, "reelq sim stopped ({})\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
  return k_exit_ok;
}

}  // namespace reelq
