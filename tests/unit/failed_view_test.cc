#include "cli/failed_view.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "support/fakes.h"

using namespace reelq;

TEST_CASE("status --failed lists each failed take with its reason and what to type, aligned") {
  BatchReport report;
  report.name = "night";
  report.manifest_path = "/home/me/night.yaml";
  auto add = [&](std::string job, int take, JobState state, std::string code, std::string msg,
                 std::vector<std::string> images = {}) {
    ReportRow row;
    row.job_id = std::move(job);
    row.take = take;
    row.state = state;
    row.fail_code = std::move(code);
    row.fail_msg = std::move(msg);
    row.images = std::move(images);
    report.rows.push_back(row);
  };
  add("a", 1, JobState::succeeded, "", "");
  add("f04", 2, JobState::failed, "INVALID_IMAGE_URL", "Cannot access provided image URL",
      {"file:///home/me/refs/face.png"});
  add("still-7", 1, JobState::failed, "CONTENT_VIOLATION", "Content does not meet safety guidelines");
  add("url", 1, JobState::failed, "INVALID_IMAGE_URL", "Cannot access provided image URL",
      {"https://cdn.example/x.png"});
  CHECK(served_image_refusals(report) == 1);
  NextStepsContext at{report.manifest_path, "/home/me/reelq.db", "night", "https://tunnel.example", 0};
  auto takes = failed_takes(report, at);
  REQUIRE(takes.size() == 3);
  CHECK(failed_table(takes) ==
        "JOB      TAKE  CODE               MESSAGE                                  WHAT TO TYPE\n"
        "f04         2  INVALID_IMAGE_URL  Cannot access provided image URL         check that https://tunnel.example "
        "reaches --listen, then: reelq retry --db /home/me/reelq.db --batch night --job f04\n"
        "still-7     1  CONTENT_VIOLATION  Content does not meet safety guidelines  edit still-7 in "
        "/home/me/night.yaml, then: reelq run /home/me/night.yaml --replace-changed\n"
        "url         1  INVALID_IMAGE_URL  Cannot access provided image URL         edit url in /home/me/night.yaml, "
        "then: reelq run /home/me/night.yaml --replace-changed\n");
}

TEST_CASE("a failed job that is a row of a job list is to be edited there: status --failed names the row") {
  // The queue keeps no job's place: it is found by reading the batch's manifest again.
  test::TempDir dir;
  test::write_file(dir / "night.yaml", "batch: night\njobs:\n  - id: own\n    prompt: p\njobs_from: [shots.csv]\n");
  test::write_file(dir / "shots.csv", "id,prompt\nfirst,a\nnewrow,b\n");
  const std::string manifest = (dir / "night.yaml").string();
  auto origins = read_job_origins(manifest);
  REQUIRE(origins.size() == 3);
  CHECK_FALSE(origins["own"].listed);
  CHECK(origins["newrow"].listed);
  CHECK(origins["newrow"].place == (dir / "shots.csv").string() + ":3:1");

  BatchReport report;
  report.name = "night";
  report.manifest_path = manifest;
  for (const char* job : {"own", "newrow", "gone"}) {
    ReportRow row;
    row.job_id = job;
    row.state = JobState::failed;
    row.fail_code = "CONTENT_VIOLATION";
    report.rows.push_back(row);
  }
  REQUIRE(needs_edit(report));
  NextStepsContext at{manifest, "/q.db", "night", "", 0};
  add_edit_places(at, report, origins);
  CHECK(at.edit_lists == std::set<std::string>{(dir / "shots.csv").string()});
  CHECK(at.edit_in_manifest);  // "own" is the manifest's, and "gone" is in no file now
  auto takes = failed_takes(report, at);
  REQUIRE(takes.size() == 3);
  CHECK(takes[0].advice == fmt::format("edit own in {}, then: reelq run {} --replace-changed", manifest, manifest));
  CHECK(takes[1].advice == fmt::format("edit newrow at {}/shots.csv:3:1, then: reelq run {} --replace-changed",
                                       dir.path().string(), manifest));
  CHECK(takes[2].advice == fmt::format("edit gone in {}, then: reelq run {} --replace-changed", manifest, manifest));
}

TEST_CASE("a manifest that cannot be read now places no job: the advice names the manifest as before") {
  test::TempDir dir;
  CHECK(read_job_origins((dir / "moved.yaml").string()).empty());
  test::write_file(dir / "half.yaml", "batch: night\njobs_from: [shots.csv]\n");  // the list is gone
  CHECK(read_job_origins((dir / "half.yaml").string()).empty());
  CHECK(read_job_origins("").empty());
}
