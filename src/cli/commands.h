#pragma once
// One function per command; each returns its exit code and writes only to `out` and `err`.
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "cli/progress.h"
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

struct RunFlags {
  std::string db = "reelq.db";
  std::string api_key_file;
  std::string ca_file;
  std::vector<std::pair<std::string, std::string>> settings;  // (key, value) of the setting flags given
  OutputStyle style = OutputStyle::plain;
  bool replace_changed = false;
};

int cmd_run(const std::string& manifest, const RunFlags& flags, CommandIo io);
int cmd_resume(const std::optional<std::string>& batch, const RunFlags& flags, CommandIo io);

int cmd_sim(const SimConfig& config, const std::string& port_file, CommandIo io);

// Maps an Error's kind to the process exit code.
int exit_code_for(const Error& error);

}  // namespace reelq
