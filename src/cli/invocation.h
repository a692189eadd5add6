#pragma once
// How the user typed reelq, so the commands it suggests run as printed: a README user runs
// `build/reelq`, and a suggested `reelq resume ...` would answer "command not found".
#include <filesystem>
#include <string>
#include <string_view>

namespace reelq {

// The word to type for reelq: "reelq" when `path_env` (PATH) finds a reelq that is the same file as
// `argv0`; else argv0 made absolute against `cwd` when it names a file by a path (has a slash);
// else argv0 as given (the shell found it on PATH under that name). Shell-quoted when it must be.
std::string invoked_as(std::string_view argv0, std::string_view path_env, const std::filesystem::path& cwd);

// Set once by run_cli from argv[0] (before that: "reelq"). Every message that says a command to
// type starts it with reelq_command().
void set_reelq_command(std::string command);
const std::string& reelq_command();

// reelq_command() + " " + args: `reelq_line("resume --db q.db")`.
std::string reelq_line(std::string_view args);

}  // namespace reelq
