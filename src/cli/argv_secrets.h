#pragma once
// Command lines that carry an API key. The key never goes on a command line (`ps` and shell history
// show it), and a mistyped one must not be printed back either: CLI11's "not expected: WORD" would.
#include <optional>
#include <string>

namespace reelq {

// The refusal for `--api-key KEY`, `--key=KEY` and their kind, which name no value; nullopt if
// argv has none of them.
std::optional<std::string> key_flag_refusal(int argc, const char* const* argv);

// `text` (a command-line parse error) with every word of argv that may be a key replaced by a
// placeholder: the value of APIXO_API_KEY (`env_key`, empty if unset) and words shaped like one.
std::string without_secret_words(std::string text, int argc, const char* const* argv, const std::string& env_key);

}  // namespace reelq
