#include "keys/trust_file.h"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace reelq;
namespace fs = std::filesystem;

namespace {

struct TempFolder {
  fs::path path;
  TempFolder() {
    char tmpl[] = "/tmp/reelq-trust-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempFolder() { fs::remove_all(path); }
};

std::string text_of(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("an API is trusted for the queue a run recorded it in, and only there") {
  TempFolder t;
  fs::path file = t.path / "state" / "apis";
  CHECK_FALSE(is_trusted(file, "q1", "http://127.0.0.1:8080"));  // no file yet
  REQUIRE(add_trusted(file, "q1", "http://127.0.0.1:8080"));
  REQUIRE(add_trusted(file, "q1", "http://127.0.0.1:8080"));  // once is enough
  CHECK(text_of(file) == "q1\thttp://127.0.0.1:8080\n");
  CHECK(is_trusted(file, "q1", "http://127.0.0.1:8080"));
  CHECK_FALSE(is_trusted(file, "q2", "http://127.0.0.1:8080"));
  CHECK_FALSE(is_trusted(file, "q1", "http://127.0.0.1:808"));  // whole lines only
  CHECK_FALSE(is_trusted(file, "1", "http://127.0.0.1:8080"));  // nor the tail of another id
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("the trust file is never read or written through a link") {
  TempFolder t;
  fs::path victim = t.path / "victim";
  std::ofstream(victim) << "q1\thttps://evil.example\n";
  fs::path file = t.path / "apis";
  fs::create_symlink(victim, file);
  CHECK_FALSE(is_trusted(file, "q1", "https://evil.example"));
  auto st = add_trusted(file, "q1", "http://127.0.0.1:1");
  REQUIRE_FALSE(st);
  CHECK(st.error().message.find("is a symbolic link") != std::string::npos);
  CHECK(text_of(victim) == "q1\thttps://evil.example\n");
  // A hard link to another file is not written either.
  fs::remove(file);
  fs::create_hard_link(victim, file);
  REQUIRE_FALSE(add_trusted(file, "q1", "http://127.0.0.1:1"));
  CHECK(text_of(victim) == "q1\thttps://evil.example\n");
}
