#include "cli/run_again.h"

#include <fmt/format.h>

#include <filesystem>

#include "cli/batch_settings.h"
#include "cli/invocation.h"
#include "util/text.h"

namespace reelq {

namespace fs = std::filesystem;

std::string run_again(const std::string& manifest_path, const RunFlags& flags) {
  std::string line = reelq_line("run ") + shell_word(fs::absolute(manifest_path).lexically_normal().string());
  line += " --db " + shell_word(flags.db);
  for (const auto& [key, value] : flags.settings) {
    bool path = key == "output_dir" || key == "tls_cert" || key == "tls_key";
    line += fmt::format(" {} {}", setting_flag(key),
                        shell_word(path ? fs::absolute(value).lexically_normal().string() : value));
  }
  auto add = [&](const char* flag, const std::string& value) {
    if (!value.empty()) {
      line += fmt::format(" {} {}", flag, shell_word(fs::absolute(value).lexically_normal().string()));
    }
  };
  add("--api-key-file", flags.api_key_file);
  add("--keys", flags.keys_file);
  add("--ca-file", flags.ca_file);
  add("--prices", flags.prices);
  line += flags.replace_changed ? " --replace-changed" : "";
  line += flags.keep_removed ? " --keep-removed" : "";
  line += flags.into_batch ? " --into-batch" : "";
  line += flags.allow_partial ? " --allow-partial" : "";
  return line;
}

}  // namespace reelq
