#pragma once
// What kind of value each flag takes (a file, a folder, a command, one of a few words, or
// anything else), written once as the flag's CLI11 type name. --help shows it ("--db FILE",
// "--format csv|json|html"), the man page shows it, and the shell completions read it to offer
// files only where a file is wanted and the words where the flag takes one of them.
#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace reelq {

enum class ValueKind { none, file, folder, command, choice, other };

// Sets the type name of every flag and positional of `app`'s commands that takes a file, a
// folder, a command or one of a fixed set of words. Call once, after every command is wired.
void label_option_values(CLI::App& app);

// The kind of value `opt` takes, read from its type name; `choices` gets the words of a choice.
ValueKind value_kind(const CLI::Option& opt, std::vector<std::string>* choices = nullptr);

}  // namespace reelq
