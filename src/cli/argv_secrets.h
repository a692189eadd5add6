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

// For the whole command: remembers argv's words shaped like a key, to be hidden by
// hide_secret_words with the value of APIXO_API_KEY as it is then. A key given as a flag's value
// (`--api-key-file $APIXO_API_KEY`, `--keys sk-...`) would otherwise come back in "cannot read".
void remember_secret_words(int argc, const char* const* argv);
std::string hide_secret_words(std::string text);

}  // namespace reelq
