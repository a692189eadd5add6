#include "cli/failed_view.h"

#include <doctest/doctest.h>

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
