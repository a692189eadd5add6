#pragma once
// The key `reelq run` / `resume` drives: from a keys file (--keys, else REELQ_KEYS; docs/keys.md)
// or, without one, from --api-key-file / APIXO_API_KEY as ever (named "default"). Errors and
// warnings never hold the key.
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/drain.h"
#include "util/result.h"

namespace reelq {

struct RunKey {
  std::string secret;         // the first key's, in memory only
  DrivenKey driven;           // its name and the caps its keys file entry named
  bool private_file = false;  // the key came from a file only its owner can read
  std::vector<std::string> warnings;
  // The other keys of a keys file, in its order: with them the run drives a pool (docs/keys.md).
  std::vector<PooledKey> more;

  std::vector<std::string> secrets() const;  // every key, for what must never see them (hooks)
};

Result<RunKey> load_run_key(const RunFlags& flags);

// The keys file a command was given: `flag` (--keys), else REELQ_KEYS, else "".
std::string keys_file_path(const std::string& flag);

// A keys file's names and caps (0: the entry names none), read without its keys: every variable
// reads as a stand-in, so `estimate` and a rehearsal need none of them set. File entries are still
// checked (they must exist and hold one key).
Result<std::vector<DrivenKey>> keys_file_plans(const std::string& path);

}  // namespace reelq
