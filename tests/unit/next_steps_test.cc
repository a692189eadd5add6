#include "cli/next_steps.h"

#include <doctest/doctest.h>

using namespace reelq;

TEST_CASE("after failures, each kind of remedy is one line with the command to type") {
  NextStepsContext at{"/home/me/night.yaml", "/home/me/reelq.db", "night"};
  auto lines = next_steps({{"CONTENT_VIOLATION", 2},
                           {"DOWNLOAD_FAILED", 1},
                           {"RENDER_TIMEOUT", 1},
                           {"RETRIES_EXHAUSTED", 1},
                           {"AMBIGUOUS_SUBMIT", 1},
                           {"INVALID_IMAGE_URL", 1}},
                          at);
  REQUIRE(lines.size() == 4);
  CHECK(lines[0] ==
        "CONTENT_VIOLATION, INVALID_IMAGE_URL: edit those jobs in the manifest (`reelq report --db /home/me/reelq.db "
        "--batch night` gives each reason), then: reelq run /home/me/night.yaml --replace-changed");
  CHECK(lines[1] ==
        "DOWNLOAD_FAILED: reelq retry --db /home/me/reelq.db --batch night --fail-code DOWNLOAD_FAILED (the same "
        "tasks, not paid again)");
  CHECK(lines[2] ==
        "RETRIES_EXHAUSTED: reelq retry --db /home/me/reelq.db --batch night --fail-code RETRIES_EXHAUSTED submits "
        "them again");
  CHECK(lines[3].starts_with("AMBIGUOUS_SUBMIT: the API may have made these tasks already"));
  CHECK(lines[3].ends_with("--fail-code AMBIGUOUS_SUBMIT (may be charged twice)"));
  CHECK(next_steps({{"RENDER_TIMEOUT", 3}}, at).empty());  // the summary says it already
  CHECK(next_steps({}, at).empty());
}

TEST_CASE("a task the API stopped knowing is not resubmitted without a warning that it may be paid twice") {
  NextStepsContext at{"/home/me/night.yaml", "/home/me/reelq.db", "night"};
  auto lines = next_steps({{"TASK_NOT_FOUND", 2}, {"RETRIES_EXHAUSTED", 1}}, at);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] ==
        "RETRIES_EXHAUSTED: reelq retry --db /home/me/reelq.db --batch night --fail-code RETRIES_EXHAUSTED submits "
        "them again");
  CHECK(lines[1] ==
        "TASK_NOT_FOUND: the API made these tasks, then said for 10 minutes that it did not know them; they may "
        "still render and be charged. Check your apixo dashboard first; only if they are not there: reelq retry "
        "--db /home/me/reelq.db --batch night --fail-code TASK_NOT_FOUND (may be charged twice)");
}
