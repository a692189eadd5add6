#pragma once
// Reading one key from where a keys file says it is, and naming it without giving it away.
#include <filesystem>
#include <optional>
#include <string>

namespace reelq {

// A key, or why it cannot be used: `problem` is a sentence fragment that follows the variable's or
// the file's name ("is empty; put the key in it"). It never quotes what was read.
struct SecretRead {
  std::string secret;
  std::string problem;
};

// The key in an environment variable's value (nullopt: the variable is not set).
SecretRead key_from_env_value(const std::optional<std::string>& value);

// The key in a file: a regular file of at most k_max_key_file_bytes, text without NUL bytes, the
// key alone on one line. Links are followed: where the file lies is the user's choice.
SecretRead key_from_file(const std::filesystem::path& path);

}  // namespace reelq
