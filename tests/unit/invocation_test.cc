#include "cli/invocation.h"

#include <doctest/doctest.h>

#include "support/fakes.h"

using namespace reelq;
namespace fs = std::filesystem;

namespace {

void make_executable(const fs::path& p) {
  test::write_file(p, "#!/bin/sh\n");
  fs::permissions(p, fs::perms::owner_all);
}

}  // namespace

TEST_CASE("the commands reelq suggests start the way reelq was invoked") {
  test::TempDir dir;
  make_executable(dir / "proj/build/reelq");
  make_executable(dir / "bin/reelq");  // another reelq, installed
  std::string build = (dir / "proj/build").string();
  std::string bin = (dir / "bin").string();
  // The README's `build/reelq`, with no reelq on PATH: the absolute path, which runs from anywhere.
  CHECK(invoked_as("build/reelq", "/usr/bin", dir / "proj") == (dir / "proj/build/reelq").string());
  CHECK(invoked_as("./build/../build/reelq", "", dir / "proj") == (dir / "proj/build/reelq").string());
  // PATH finds this very file: plain `reelq`, whatever path it was started by.
  CHECK(invoked_as("build/reelq", "/usr/bin:" + build, dir / "proj") == "reelq");
  CHECK(invoked_as((dir / "proj/build/reelq").string(), build, "/") == "reelq");
  // PATH finds another reelq first: that one is not the one that printed the advice.
  CHECK(invoked_as("build/reelq", bin + ":" + build, dir / "proj") == (dir / "proj/build/reelq").string());
  // Found by the shell on PATH under its own name: as typed.
  CHECK(invoked_as("reelq", "", "/") == "reelq");
  CHECK(invoked_as("", "", "/") == "reelq");
  // A path a shell would split is quoted.
  make_executable(dir / "my tools/reelq");
  CHECK(invoked_as("my tools/reelq", "", dir.path()) == "'" + (dir / "my tools/reelq").string() + "'");
}

TEST_CASE("reelq_line starts a command with the word set from argv[0]") {
  set_reelq_command("/opt/x/reelq");
  CHECK(reelq_line("resume --db q.db") == "/opt/x/reelq resume --db q.db");
  set_reelq_command("reelq");
  CHECK(reelq_line("status") == "reelq status");
}
