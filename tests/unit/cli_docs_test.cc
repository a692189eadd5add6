#include "cli/cli_docs.h"

#include <doctest/doctest.h>

#include <sstream>

#include "cli/cli.h"
#include "queue/database.h"

using namespace reelq;

namespace {

struct Ran {
  int code;
  std::string out;
  std::string err;
};

Ran cli(std::vector<const char*> args) {
  args.insert(args.begin(), "reelq");
  std::ostringstream out, err;
  int code = run_cli(static_cast<int>(args.size()), args.data(), out, err);
  return {code, out.str(), err.str()};
}

// The commands as reelq lists them to a user who mistyped one.
std::vector<std::string> listed_commands() {
  std::string err = cli({"no-such-command"}).err;
  std::string list = err.substr(err.find("The commands: ") + 14);
  list = list.substr(0, list.find(". "));
  std::vector<std::string> names;
  std::istringstream in(list);
  for (std::string name; std::getline(in, name, ',');) {
    names.push_back(name.substr(name.find_first_not_of(' ')));
  }
  return names;
}

}  // namespace

TEST_CASE("the completions and the man page name every command reelq has, and its flags") {
  std::vector<std::string> commands = listed_commands();
  REQUIRE(commands.size() >= 14);
  Ran bash = cli({"completion", "bash"});
  Ran zsh = cli({"completion", "zsh"});
  Ran man = cli({"man-page"});
  REQUIRE(bash.code == 0);
  REQUIRE(zsh.code == 0);
  REQUIRE(man.code == 0);
  for (const auto& name : commands) {
    CAPTURE(name);
    CHECK(bash.out.find(" " + name + ") opts=") != std::string::npos);
    CHECK(zsh.out.find("'" + name + ":") != std::string::npos);
    CHECK(man.out.find(".SS \"reelq " + name) != std::string::npos);
  }
  CHECK(std::find(commands.begin(), commands.end(), "man-page") == commands.end());  // a build step, not a command
  // A flag of each kind: a setting of run, a flag of deliver, a short option of report.
  CHECK(bash.out.find("--max-concurrent") != std::string::npos);
  CHECK(zsh.out.find("'--picks[Only the takes marked pick or star in this review-page export]:file:_files'") !=
        std::string::npos);
  CHECK(man.out.find("\\fB\\-o\\fR, \\fB\\-\\-output\\fR \\fIFILE\\fR") != std::string::npos);
  CHECK(bash.out.ends_with("complete -F _reelq reelq\n"));
  CHECK(zsh.out.starts_with("#compdef reelq\n"));
}

TEST_CASE("reelq --version names the queue schema it reads and writes") {
  Ran v = cli({"--version"});
  CHECK(v.code == 0);
  CHECK(v.out ==
        std::string("reelq ") + REELQ_VERSION + " (queue schema " + std::to_string(latest_schema_version()) + ")\n");
}

TEST_CASE("a flag's value is completed by its kind: files, folders, its words, or nothing for a number") {
  Ran bash = cli({"completion", "bash"});
  Ran zsh = cli({"completion", "zsh"});
  Ran man = cli({"man-page"});
  // The words come from the types they name (report formats, job states), not from a second list.
  CHECK(bash.out.find("\"report --format\") COMPREPLY=($(compgen -W \"csv json html\" -- \"$cur\")); return ;;") !=
        std::string::npos);
  CHECK(bash.out.find("\"report --state\") COMPREPLY=($(compgen -W \"queued submitting running downloading succeeded "
                      "failed cancelled\" -- \"$cur\")); return ;;") != std::string::npos);
  CHECK(bash.out.find("\"sim --plan\") COMPREPLY=($(compgen -W \"pro free\"") != std::string::npos);  // CLI11's check
  CHECK(bash.out.find("\"run --output-dir\"|\"resume --output-dir\"|\"deliver --to\") local IFS=$'\\n'; compopt -o "
                      "filenames 2>/dev/null; COMPREPLY=($(compgen -d") != std::string::npos);
  // sim's --state is a file, report's a job state: one name, two kinds.
  CHECK(zsh.out.find("'--state[Keep tasks, credits and counts") != std::string::npos);
  CHECK(zsh.out.find("'--state[Only the takes in this state]:value:(queued submitting running downloading succeeded "
                     "failed cancelled)'") != std::string::npos);
  CHECK(zsh.out.find("'--rpm[API requests per rolling minute, all endpoints (default 60)]:value: '") !=
        std::string::npos);
  CHECK(zsh.out.find("'1:value:(bash zsh)'") != std::string::npos);
  CHECK(man.out.find("\\fB\\-\\-plan\\fR \\fIpro|free\\fR") != std::string::npos);
  CHECK(man.out.find("\\fB\\-\\-port\\fR \\fIINT\\fR") != std::string::npos);  // CLI11's own type name
  // A number's flag is in no arm that completes files: the one arm that completes nothing has it.
  size_t rpm = bash.out.find("\"run --rpm\"");
  REQUIRE(rpm != std::string::npos);
  CHECK(bash.out.substr(rpm, bash.out.find('\n', rpm) - rpm).ends_with(") COMPREPLY=(); return ;;"));
}
