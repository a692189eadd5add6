#pragma once
// The keys file (issue 20): the pool of API keys one run drives, each with its own caps. The file
// names where each key is (an environment variable or a file), never the key itself, so it can sit
// beside manifests without being a secret. The format is documented in docs/keys.md.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/key_identity.h"  // key_fingerprint
#include "util/diagnostic.h"
#include "util/result.h"

namespace reelq {

struct KeySpec {
  std::string name;         // unique in the file: [A-Za-z0-9._-], 1 to 64 characters
  std::string secret;       // the key, trimmed; only ever sent in the Authorization header
  std::string fingerprint;  // key_fingerprint(secret): what may be stored and shown
  int rpm = 0;              // requests a minute this key may make
  int max_concurrent = 0;   // tasks this key may have running at once
  // Where the key came from, for messages: "env APIXO_KEY_A" or "file keys/intern.key" (the path
  // as written in the keys file).
  std::string source;
};

// The caps of an entry that names none (the caller's --rpm / --max-concurrent; Pro plan figures).
struct KeyDefaults {
  int rpm = 60;
  int max_concurrent = 10;
};

struct KeysFileResult {
  std::vector<KeySpec> keys;          // in file order; at least one
  std::vector<std::string> warnings;  // "FILE:LINE:COL: message" or "FILE: message", for the log
};

// Reads an environment variable: nullopt when it is not set, "" when it is set but empty.
using GetenvFn = std::function<std::optional<std::string>(const std::string&)>;

// The process's environment (std::getenv), for the binary; tests pass a map.
std::optional<std::string> process_getenv(const std::string& name);

struct KeysSource {
  std::string display_name;        // how messages name the keys file
  std::filesystem::path base_dir;  // `file:` entries are relative to this
};

// The largest key file read: a key is a short token, so a bigger file is the wrong file.
inline constexpr std::uintmax_t k_max_key_file_bytes = 4096;
// The largest keys file read (a thousand entries take about 60 KB).
inline constexpr std::uintmax_t k_max_keys_file_bytes = std::uintmax_t{1} << 20;
// The bounds of rpm and max_concurrent, in a file or as defaults.
inline constexpr int k_max_key_rpm = 100000;
inline constexpr int k_max_key_concurrent = 1000;

// Parses and checks a keys file and reads every key it names. On failure the Error (kind input)
// lists every problem, one "FILE:LINE:COL: message" per line, and `diags` (when given) receives
// them one by one. No message or warning ever holds a key's text: a problem with a key names its
// entry and its variable or file.
Result<KeysFileResult> parse_keys_file(std::string_view text, const KeysSource& source, const KeyDefaults& defaults,
                                       const GetenvFn& getenv_fn, Diagnostics* diags = nullptr);

// The same from a file, which also draws a warning when the keys file is readable by group or
// others (as a key file does).
Result<KeysFileResult> load_keys_file(const std::filesystem::path& file, const KeyDefaults& defaults,
                                      const GetenvFn& getenv_fn, Diagnostics* diags = nullptr);


}  // namespace reelq
