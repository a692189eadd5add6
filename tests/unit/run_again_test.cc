// The continue line of `reelq run`: what a user types to start the same run again.
#include "cli/run_again.h"

#include <doctest/doctest.h>

#include <filesystem>

#include "cli/invocation.h"

using namespace reelq;
namespace fs = std::filesystem;

TEST_CASE("run_again keeps every flag given, with paths made absolute and words quoted") {
  set_reelq_command("reelq");
  RunFlags flags;
  flags.db = "/srv/night/q.db";
  flags.settings = {{"rpm", "10"}, {"max_concurrent", "3"}, {"output_dir", "out dir"}};
  flags.keys_file = "keys.yaml";
  flags.ca_file = "/etc/ca.pem";
  flags.replace_changed = true;
  flags.allow_partial = true;
  const std::string line = run_again("jobs/night.yaml", flags);
  const std::string cwd = fs::current_path().string();
  CHECK(line.rfind("reelq run " + cwd + "/jobs/night.yaml --db /srv/night/q.db", 0) == 0);
  // A Free-plan user's caps come back as they were given, not as the defaults.
  CHECK(line.find(" --rpm 10") != std::string::npos);
  CHECK(line.find(" --max-concurrent 3") != std::string::npos);
  // A relative folder is made absolute (the line runs from anywhere) and quoted (it holds a space).
  CHECK(line.find(" --output-dir '" + cwd + "/out dir'") != std::string::npos);
  CHECK(line.find(" --keys " + cwd + "/keys.yaml") != std::string::npos);
  CHECK(line.find(" --ca-file /etc/ca.pem") != std::string::npos);
  CHECK(line.find(" --replace-changed") != std::string::npos);
  CHECK(line.find(" --allow-partial") != std::string::npos);
  // Flags not given are not invented.
  CHECK(line.find("--api-key-file") == std::string::npos);
  CHECK(line.find("--keep-removed") == std::string::npos);
  CHECK(line.find("--into-batch") == std::string::npos);
  CHECK(line.find("--prices") == std::string::npos);
}

TEST_CASE("run_again names the key by the file that holds it, as given") {
  set_reelq_command("reelq");
  RunFlags flags;
  flags.db = "q.db";
  flags.api_key_file = "/home/u/.apixo-key";
  const std::string line = run_again("m.yaml", flags);
  CHECK(line.find(" --api-key-file /home/u/.apixo-key") != std::string::npos);
  CHECK(line.find("--keys") == std::string::npos);
}
