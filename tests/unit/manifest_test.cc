#include "manifest/manifest.h"

#include <doctest/doctest.h>

#include "support/fakes.h"

using namespace reelq;
namespace fs = std::filesystem;

namespace {
Manifest parse_ok(const std::string& text, const std::filesystem::path& base = ".") {
  Diagnostics diags;
  auto m = parse_manifest(text, {"m.yaml", base}, &diags);
  INFO(to_string(diags));
  REQUIRE(m.ok());
  return m.value();
}
}  // namespace

TEST_CASE("defaults fill what a job leaves out, and ids default to job-NNNN by position") {
  Manifest m = parse_ok(R"(
batch: city-night
defaults:
  duration: 12
  size: 720*1280
jobs:
  - prompt: one
  - id: two
    prompt: two
    duration: 4
  - prompt: three
    takes: 3
)");
  CHECK(m.batch == "city-night");
  CHECK(m.model == "sora-2-pro");
  REQUIRE(m.jobs.size() == 3);
  CHECK(m.jobs[0].id == "job-0001");
  CHECK(m.jobs[0].duration == 12);
  CHECK(m.jobs[0].size == "720*1280");
  CHECK(m.jobs[0].mode == Mode::text_to_video);
  CHECK(m.jobs[1].id == "two");
  CHECK(m.jobs[1].duration == 4);
  CHECK(m.jobs[2].id == "job-0003");
  CHECK(m.jobs[2].takes == 3);
  CHECK(m.jobs[2].pos.line == 11);
}

TEST_CASE("built-in defaults: 8 seconds, 1280*720, 720p, one take") {
  Manifest m = parse_ok("batch: b\njobs:\n  - prompt: p\n  - prompt: q\n    images: [https://x.test/a.png]\n");
  CHECK(m.jobs[0].duration == 8);
  CHECK(m.jobs[0].size == "1280*720");
  CHECK(m.jobs[0].takes == 1);
  SUBCASE("a job with images and no mode is image-to-video") {
    CHECK(m.jobs[1].mode == Mode::image_to_video);
    CHECK(m.jobs[1].resolution == "720p");
    CHECK(m.jobs[1].size.empty());
    CHECK(m.jobs[1].images == std::vector<std::string>{"https://x.test/a.png"});
  }
}

TEST_CASE("a default that does not fit a job's mode is not used, rather than refused") {
  Manifest m = parse_ok(R"(
batch: b
defaults: {size: 1792*1024, resolution: 1080p}
jobs:
  - prompt: t
  - {mode: image-to-video, prompt: i, images: ["https://x.test/a.jpg"]}
)");
  CHECK(m.jobs[0].size == "1792*1024");
  CHECK(m.jobs[0].resolution.empty());
  CHECK(m.jobs[1].resolution == "1080p");
  CHECK(m.jobs[1].size.empty());
}

TEST_CASE("local images resolve against the manifest's folder and are checked by content") {
  test::TempDir dir;
  test::write_file(dir / "refs/face.png", test::read_file(test::source_dir() / "tests/manifests/fixtures/tiny.png"));
  Manifest m = parse_ok(
      "batch: b\njobs:\n  - prompt: p\n    images: [refs/face.png]\n  - prompt: q\n    images: "
      "[./refs/../refs/face.png]\n",
      dir.path());
  REQUIRE(m.jobs[1].images.size() == 1);
  CHECK(m.jobs[0].images[0] == "file://" + (dir / "refs/face.png").string());
  CHECK(m.jobs[1].images[0] == m.jobs[0].images[0]);
}

TEST_CASE("the settings block is kept as JSON with numbers as numbers") {
  Manifest m =
      parse_ok("batch: b\nsettings:\n  rpm: 30\n  poll_interval: 2.5\n  on_ambiguous: hold\njobs:\n  - prompt: p\n");
  CHECK(m.settings_json == R"({"rpm":30,"poll_interval":2.5,"on_ambiguous":"hold"})");
}

// Found by fuzzing (tests/fuzz/regressions/manifest): YAML's own spellings were stored as they
// stood, which JSON cannot read, so `validate` said ok and every later run refused the batch.
TEST_CASE("settings numbers in YAML-only spellings are stored as JSON numbers") {
  Manifest m = parse_ok(
      "batch: b\nsettings:\n  rpm: 0x10\n  max_attempts: +3\n  poll_initial: .5\n"
      "  poll_interval: 2.\njobs:\n  - prompt: p\n");
  CHECK(m.settings_json == R"({"rpm":16,"max_attempts":3,"poll_initial":0.5,"poll_interval":2})");
}

// Found by fuzzing: the schema checked 0x10 as 16 while the job was given std::stoi's 0, and an
// integer past int's range threw out of `validate`.
TEST_CASE("a job's numbers are the values the schema checked") {
  Manifest m = parse_ok("batch: b\njobs:\n  - prompt: p\n    duration: 0x8\n    takes: 0o20\n");
  CHECK(m.jobs[0].duration == 8);
  CHECK(m.jobs[0].takes == 16);
  auto huge = parse_manifest("batch: b\njobs:\n  - prompt: p\n    duration: 99999999999\n", {"m.yaml", "."});
  REQUIRE_FALSE(huge.ok());
  CHECK(huge.error().message == "m.yaml:4:15: duration must be 4, 8 or 12 (got 99999999999)\n");
}

TEST_CASE("plain scalars read as text where text is wanted; quotes keep text exact") {
  Manifest m = parse_ok("batch: 2024\njobs:\n  - id: 007\n    prompt: 'yes: \"quoted\", #not a comment'\n");
  CHECK(m.batch == "2024");
  CHECK(m.jobs[0].id == "007");
  CHECK(m.jobs[0].prompt == "yes: \"quoted\", #not a comment");
}

TEST_CASE("anchors and aliases reuse a value") {
  Manifest m = parse_ok("batch: b\njobs:\n  - prompt: &p shared words\n  - prompt: *p\n    duration: 4\n");
  CHECK(m.jobs[1].prompt == "shared words");
}

TEST_CASE("a missing manifest file is an input error naming the path") {
  auto m = load_manifest("/nonexistent/reelq/manifest.yaml");
  REQUIRE_FALSE(m.ok());
  CHECK(m.error().kind == ErrorKind::input);
  CHECK(m.error().message == "/nonexistent/reelq/manifest.yaml: not found\n");
}

TEST_CASE("every example manifest under jobs/ is valid") {
  int seen = 0;
  for (const auto& e : std::filesystem::directory_iterator(test::source_dir() / "jobs")) {
    if (e.path().extension() == ".yaml") {
      auto m = load_manifest(e.path());
      INFO(e.path().string(), "\n", m ? "" : m.error().message);
      CHECK(m.ok());
      ++seen;
    }
  }
  CHECK(seen >= 2);
}

TEST_CASE("a folder given as the manifest says so, instead of calling it empty") {
  test::TempDir dir;
  auto m = load_manifest(dir.path());
  REQUIRE_FALSE(m.ok());
  CHECK(m.error().kind == ErrorKind::input);
  CHECK(m.error().message == dir.path().string() + ": is a directory; give the manifest's file (FOLDER/NAME.yaml)\n");
}

TEST_CASE("a manifest file over the size cap is refused before it is read") {
  test::TempDir dir;
  fs::path big = dir / "big.yaml";
  test::write_file(big, "batch: b\n");
  fs::resize_file(big, k_max_manifest_bytes + 1);  // sparse: no disk is used
  auto m = load_manifest(big);
  REQUIRE_FALSE(m.ok());
  CHECK(m.error().message ==
        big.string() + ": is 64 MB; reelq reads manifests of up to 64 MB (about 500,000 jobs): split it into batches\n");
}

TEST_CASE("a manifest with no size to go by (a device, a pipe) is read up to the cap, then refused") {
  if (!fs::exists("/dev/zero")) {
    return;
  }
  auto m = load_manifest("/dev/zero");  // before issue 11: read until memory ran out
  REQUIRE_FALSE(m.ok());
  CHECK(m.error().message ==
        "/dev/zero: is over 64 MB; reelq reads manifests of up to 64 MB (about 500,000 jobs): split it into batches\n");
}

TEST_CASE("a prompt is limited to 5000 characters, counted as characters, not bytes") {
  std::string accented;
  for (int i = 0; i < 5000; ++i) {
    accented += "\xC3\xA9";  // é: two bytes, one character
  }
  Manifest m = parse_ok("batch: b\njobs:\n  - prompt: \"" + accented + "\"\n");
  CHECK(m.jobs[0].prompt.size() == 10000);
  auto r = parse_manifest("batch: b\njobs:\n  - prompt: \"" + accented + "e\"\n", {"m.yaml", "."});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "m.yaml:3:13: prompt must be at most 5000 characters (got 5001)\n");
}

TEST_CASE("image-to-video takes exactly one reference image") {
  auto r = parse_manifest("batch: b\njobs:\n  - prompt: p\n    images: [https://x.test/a.png, https://x.test/b.png]\n",
                          {"m.yaml", "."});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "m.yaml:4:13: images must list exactly 1 entry (got 2)\n");
}

TEST_CASE("a message quoting the manifest shows its control bytes rather than sending them to the terminal") {
  auto r = parse_manifest("batch: b\njobs:\n  - id: \"\\e]0;owned\\a\\e[2J\"\n    prompt: p\n", {"m.yaml", "."});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message ==
        "m.yaml:3:9: id must be 1 to 64 letters, digits, '.', '_' or '-', not starting with '.' (got "
        "\"\\x1b]0;owned\\x07\\x1b[2J\")\n");
}
