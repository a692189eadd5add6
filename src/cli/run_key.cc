#include "cli/run_key.h"

#include <fmt/format.h>

#include <cstdlib>

#include "api/client.h"
#include "keys/keys_file.h"

namespace reelq {

std::string keys_file_path(const std::string& flag) {
  if (!flag.empty()) {
    return flag;
  }
  const char* env = std::getenv("REELQ_KEYS");
  return env && *env ? env : "";
}

Result<std::vector<DrivenKey>> keys_file_plans(const std::string& path) {
  GetenvFn stand_in = [](const std::string& name) { return std::optional<std::string>("stand-in-for-" + name); };
  auto loaded = load_keys_file(path, KeyDefaults{0, 0}, stand_in);
  if (!loaded) {
    return loaded.error();
  }
  std::vector<DrivenKey> plans;
  for (const KeySpec& k : loaded->keys) {
    plans.push_back(DrivenKey{k.name, k.rpm, k.max_concurrent});
  }
  return plans;
}

Result<RunKey> load_run_key(const RunFlags& flags) {
  std::string keys_file = keys_file_path(flags.keys_file);
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
  if (loaded->keys.empty()) {
    return Error{ErrorKind::usage, fmt::format("{} lists no key", keys_file)};
  }
  KeySpec& spec = loaded->keys.front();
  out.secret = std::move(spec.secret);
  out.driven = DrivenKey{spec.name, spec.rpm, spec.max_concurrent};
  for (size_t k = 1; k < loaded->keys.size(); ++k) {
    KeySpec& more = loaded->keys[k];
    out.more.push_back(PooledKey{std::move(more.secret), DrivenKey{more.name, more.rpm, more.max_concurrent}});
  }
  out.warnings = std::move(loaded->warnings);
  return out;
}

std::vector<std::string> RunKey::secrets() const {
  std::vector<std::string> all{secret};
  for (const auto& k : more) {
    all.push_back(k.secret);
  }
  return all;
}

}  // namespace reelq
