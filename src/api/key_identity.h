#pragma once
// Which API key a task belongs to, without the key: its name and a fingerprint. The queue records
// both with each submit intent (schema version 9), so every poll of a task uses the key that made
// it, across restarts, and a name that now points at another key is noticed.
#include <string>

namespace reelq {

struct KeyIdentity {
  std::string name = "default";  // a keys file's `name`; "default" for APIXO_API_KEY / --api-key-file
  std::string fingerprint;       // key_fingerprint(key)
};

// 12 lowercase hex digits: the first 48 bits of SHA-256("reelq key fingerprint v1\n" + key) (docs/keys.md). Enough
// to tell a handful of keys apart (two keys of one user share a fingerprint with odds of about
// 1 in 10^14), and nothing to recover a key from: a prefix of a hash of a long random secret. The
// fixed prefix keeps it from matching a plain SHA-256 of the key published anywhere else.
std::string key_fingerprint(const std::string& key);

}  // namespace reelq
