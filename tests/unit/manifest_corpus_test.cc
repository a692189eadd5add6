// Every invalid manifest under tests/manifests/invalid/ must produce exactly the messages in the
// .err file beside it, and nothing else.
#include <doctest/doctest.h>

#include <algorithm>

#include "manifest/manifest.h"
#include "support/fakes.h"

namespace fs = std::filesystem;
using namespace reelq;

namespace {

// The corpus refers to fixtures/ beside the manifest; huge.png and a link pointing out of the
// folder are made here rather than committed.
void lay_out_fixtures(const fs::path& dir) {
  fs::copy(test::source_dir() / "tests/manifests/fixtures", dir / "fixtures", fs::copy_options::recursive);
  test::write_file(dir / "fixtures/huge.png", "\x89PNG\r\n\x1A\n");
  fs::resize_file(dir / "fixtures/huge.png", 11u * 1024 * 1024);
  fs::create_symlink("/etc/passwd", dir / "fixtures/link-to-passwd.png");
}

}  // namespace

TEST_CASE("every invalid manifest in the corpus gives its exact messages") {
  test::TempDir dir;
  lay_out_fixtures(dir.path());
  std::vector<fs::path> cases;
  for (const auto& e : fs::directory_iterator(test::source_dir() / "tests/manifests/invalid")) {
    if (e.path().extension() == ".yaml") {
      cases.push_back(e.path());
    }
  }
  std::sort(cases.begin(), cases.end());
  REQUIRE(cases.size() >= 25);
  for (const auto& yaml : cases) {
    std::string name = yaml.filename().string();
    CAPTURE(name);
    std::string expected = test::read_file(fs::path(yaml).replace_extension(".err"));
    REQUIRE_FALSE(expected.empty());
    auto result = parse_manifest(test::read_file(yaml), {name, dir.path()});
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::input);
    CHECK(result.error().message == expected);
  }
}
