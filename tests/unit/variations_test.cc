// vary: expands a job into the cross product of its lists, with stable, readable ids.
#include "manifest/variations.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "manifest/manifest.h"
#include "support/fakes.h"

using namespace reelq;

namespace {

Manifest parse_ok(const std::string& text) {
  auto m = parse_manifest(text, {"m.yaml", "."});
  INFO((m ? "" : m.error().message));
  REQUIRE(m.ok());
  return m.value();
}

std::string errors_of(const std::string& text) {
  auto m = parse_manifest(text, {"m.yaml", "."});
  REQUIRE_FALSE(m.ok());
  return m.error().message;
}

std::vector<std::string> ids(const Manifest& m) {
  std::vector<std::string> out;
  for (const auto& j : m.jobs) {
    out.push_back(j.id);
  }
  return out;
}

const std::string k_skyline = R"(batch: b
jobs:
  - id: skyline
    prompt: a city
    vary: {duration: [4, 8], size: [720*1280, 1280*720]}
  - id: other
    prompt: x
)";

}  // namespace

TEST_CASE("vary: the cross product in the order the fields are written, ids suffixed per value") {
  Manifest m = parse_ok(k_skyline);
  CHECK(ids(m) == std::vector<std::string>{"skyline-d4-720x1280", "skyline-d4-1280x720", "skyline-d8-720x1280",
                                           "skyline-d8-1280x720", "other"});
  CHECK(m.jobs[1].duration == 4);
  CHECK(m.jobs[1].size == "1280*720");
  CHECK(m.jobs[2].duration == 8);
  CHECK(m.varied_jobs == 4);
  CHECK(describe_jobs(m) == "5 jobs (4 made by vary:)");
  // The same manifest read again gives the same jobs: re-enqueueing it adds nothing.
  CHECK(ids(parse_ok(k_skyline)) == ids(m));
}

TEST_CASE("vary: in defaults applies to every job; a job's own value pins that field") {
  Manifest m = parse_ok(R"(batch: b
defaults:
  vary:
    resolution: [720p, 1080p]
    prompt: [calm, stormy]
jobs:
  - id: sea
    images: [https://x.test/sea.png]
  - id: fixed
    images: [https://x.test/sea.png]
    prompt: fixed words
)");
  CHECK(ids(m) == std::vector<std::string>{"sea-720p-p1", "sea-720p-p2", "sea-1080p-p1", "sea-1080p-p2", "fixed-720p",
                                           "fixed-1080p"});
  CHECK(m.jobs[1].prompt == "stormy");
  CHECK(m.jobs[2].resolution == "1080p");
  CHECK(m.jobs[4].prompt == "fixed words");
}

TEST_CASE("vary: ids name the fields in one order, whatever order they are written in") {
  // Written the other way round: the same four jobs under the same ids (new ids would render and
  // pay for them again), in the order written.
  Manifest m = parse_ok(R"(batch: b
jobs:
  - id: skyline
    prompt: a city
    vary: {size: [720*1280, 1280*720], duration: [4, 8]}
)");
  CHECK(ids(m) == std::vector<std::string>{"skyline-d4-720x1280", "skyline-d8-720x1280", "skyline-d4-1280x720",
                                           "skyline-d8-1280x720"});
  CHECK(m.jobs[1].duration == 8);
  CHECK(m.jobs[1].size == "720*1280");
}

TEST_CASE("a job that sets every field of the defaults' vary: is not counted as made by it") {
  Manifest m = parse_ok(R"(batch: b
defaults:
  vary: {duration: [4, 8]}
jobs:
  - id: sea
    prompt: calm
  - id: fixed
    prompt: still
    duration: 12
)");
  CHECK(ids(m) == std::vector<std::string>{"sea-d4", "sea-d8", "fixed"});
  CHECK(describe_jobs(m) == "3 jobs (2 made by vary:)");
}

TEST_CASE("a varied value is checked like a written one, at its place in the list") {
  CHECK(errors_of("batch: b\njobs:\n  - prompt: p\n    vary: {duration: [4, 10]}\n") ==
        "m.yaml:4:26: duration[2] must be 4, 8 or 12 (got 10)\n");
  CHECK(errors_of("batch: b\njobs:\n  - prompt: p\n    vary: {takes: [1, 2]}\n") ==
        "m.yaml:4:12: unknown key 'takes'; expected one of: duration, images, prompt, resolution, size\n");
  CHECK(errors_of("batch: b\njobs:\n  - prompt: p\n    duration: 4\n    vary: {duration: [4, 8]}\n") ==
        "m.yaml:5:12: duration is both set on this job and listed in its vary:; keep one\n");
}

TEST_CASE("a problem every variant has is said once, naming the job; a value listed twice is named at its copy") {
  // A trial's missing prompt came back once per variant (six lines for one mistake), and a
  // duration listed twice as two duplicate-id errors per other field's value.
  CHECK(errors_of("batch: b\njobs:\n  - id: sky\n    vary: {duration: [4, 8], size: [720*1280, 1280*720]}\n"
                  "  - id: one\n    prompt: p\n    vary: {duration: [4, 8, 4]}\n") ==
        "m.yaml:3:5: job 'sky' (all 4 of its vary: variants) has no prompt (and defaults give none)\n"
        "m.yaml:7:29: vary: lists duration '4' twice; each value makes its own jobs, so keep one\n");
  SUBCASE("a job with one variant is named by that variant's id, as a job without vary: is") {
    CHECK(errors_of("batch: b\njobs:\n  - id: sky\n    vary: {duration: [4]}\n") ==
          "m.yaml:3:5: job 'sky-d4' has no prompt (and defaults give none)\n");
  }
}

TEST_CASE("ids made by vary: must stay unique; a collision names both places") {
  CHECK(errors_of("batch: b\njobs:\n  - id: a-d4\n    prompt: p\n  - id: a\n    prompt: q\n"
                  "    vary: {duration: [4, 8]}\n") == "m.yaml:5:9: duplicate job id 'a-d4' (first at line 3)\n");
}

TEST_CASE("more jobs from vary: than settings.max_jobs is refused with the count, before any is made") {
  std::string ten_k = "batch: b\njobs:\n  - takes: 1\n    vary:\n      prompt: [";
  for (int i = 0; i < 100; ++i) {
    ten_k += (i ? ", " : "") + std::to_string(i);
  }
  ten_k += "]\n      duration: [4, 8, 12]\n      size: [720*1280, 1280*720, 1024*1792, 1792*1024]\n";
  CHECK(errors_of(ten_k) ==
        "m.yaml:4:5: vary: makes 1200 jobs in this manifest, more than max_jobs allows (1000); if "
        "so many are meant, set max_jobs: 1200 under settings: in the manifest\n");
  Manifest m = parse_ok(ten_k + "settings:\n  max_jobs: 1200\n");
  CHECK(m.jobs.size() == 1200);
  CHECK(m.settings_json == "{}");  // a bound on reading the manifest, not a runner setting
  CHECK(errors_of(ten_k + "settings:\n  max_jobs: 1199\n").starts_with("m.yaml:4:5: vary: makes 1200 jobs"));
}

TEST_CASE("a cross product far past any memory is refused by its count, and counts add up over jobs") {
  std::string prompts;
  std::string images;
  for (int i = 0; i < 1000; ++i) {
    prompts += (i ? ", " : "") + std::to_string(i);
    images += (i ? ", " : "") + fmt::format("https://x.test/{}.png", i);
  }
  std::string text = "batch: b\njobs:\n  - takes: 1\n    vary: {prompt: [" + prompts + "], images: [" + images +
                     "], duration: [4, 8, 12], resolution: [720p, 1080p]}\n";
  CHECK(errors_of(text).starts_with("m.yaml:4:5: vary: makes 6000000 jobs in this manifest"));
  std::string six_hundred;
  for (int i = 0; i < 600; ++i) {
    six_hundred += (i ? ", " : "") + std::to_string(i);
  }
  std::string two = "batch: b\njobs:\n";
  for (int i = 0; i < 2; ++i) {
    two += fmt::format("  - id: j{}\n    takes: 1\n    vary: {{prompt: [{}]}}\n", i, six_hundred);
  }
  CHECK(errors_of(two).starts_with("m.yaml:5:5: vary: makes 1200 jobs in this manifest"));  // 600 + 600
}

TEST_CASE("an id grown past 64 characters by its suffixes is refused") {
  std::string id(60, 'a');
  CHECK(errors_of("batch: b\njobs:\n  - id: " + id + "\n    prompt: p\n    vary: {size: [720*1280]}\n") ==
        "m.yaml:3:9: job id '" + id +
            "-720x1280' (the job's id and its vary: suffixes) is longer than 64 "
            "characters; give the job a shorter id\n");
}
