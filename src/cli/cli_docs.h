#pragma once
// The man page and the shell completions, generated from the command line's own table (the CLI11
// app run_cli builds), so neither can drift from the commands and flags there are. `reelq
// completion bash|zsh` and `reelq man-page` print them; the build installs them (CMakeLists.txt).
#include <CLI/CLI.hpp>
#include <string>

namespace reelq {

// The commands a user can type: every subcommand with a group (CLI11's hidden ones have none).
std::vector<CLI::App*> visible_commands(CLI::App& app);

// reelq.1 in roff (man(7)): the commands with their flags and help texts, the exit status, the
// environment.
std::string man_page(CLI::App& app, const std::string& version);

// A bash completion script (`complete -F _reelq reelq`): commands, then each command's flags.
std::string bash_completion(CLI::App& app);

// A zsh completion function (#compdef reelq): commands and flags with their help texts.
std::string zsh_completion(CLI::App& app);

}  // namespace reelq
