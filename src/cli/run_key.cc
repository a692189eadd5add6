#include "cli/run_key.h"

#include <fmt/format.h>

#include <cstdlib>

#include "api/client.h"
#include "keys/keys_file.h"

namespace reelq {

Result<RunKey> load_run_key(const RunFlags& flags) {
  std::string keys_file = flags.keys_file;
  if (keys_file.empty()) {
    if (const char* env = std::getenv("REELQ_KEYS"); env && *env) {
      keys_file = env;
    }
  }
  RunKey out;
  if (keys_file.empty()) {
    auto key = load_api_key(flags.api_key_file);
    if (!key) {
      return key.error();
    }
    out.secret = std::move(key.value());
    out.private_file = key_file_is_private(flags.api_key_file);
    return out;
  }
  if (!flags.api_key_file.empty()) {
    return Error{ErrorKind::usage, "give either --keys (or REELQ_KEYS) or --api-key-file, not both"};
  }
  // Caps of 0 mark an entry that named none: the batch's settings then apply (cli/drain.h).
  auto loaded = load_keys_file(keys_file, KeyDefaults{0, 0}, process_getenv);
  if (!loaded) {
    return loaded.error();
  }
  if (loaded->keys.size() != 1) {
    return Error{ErrorKind::usage,
                 fmt::format("{} lists {} keys: this reelq drives one key per run (a pool of several keys in one "
                             "run is not built yet); list one key in it, or give each run its own keys file",
                             keys_file, loaded->keys.size())};
  }
  KeySpec& spec = loaded->keys.front();
  out.secret = std::move(spec.secret);
  out.driven = DrivenKey{spec.name, spec.rpm, spec.max_concurrent};
  out.warnings = std::move(loaded->warnings);
  return out;
}

}  // namespace reelq
