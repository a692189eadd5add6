#pragma once
// One function per command; each returns its exit code and writes only to `out` and `err`.
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "queue/queue.h"
#include "sim/sim_config.h"

namespace reelq {

struct CommandIo {
  std::ostream& out;
  std::ostream& err;
};

int cmd_validate(const std::vector<std::string>& files, CommandIo io);
int cmd_enqueue(const std::string& manifest, const std::string& db_path, OnChanged on_changed, CommandIo io);
int cmd_status(const std::string& db_path, const std::optional<std::string>& batch, bool json, CommandIo io);

int cmd_sim(const SimConfig& config, const std::string& port_file, CommandIo io);

// Maps an Error's kind to the process exit code.
int exit_code_for(const Error& error);

}  // namespace reelq
