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

// Issue 17: a take whose submit made a task reelq cannot name must not be advised as a plain
// "submits them again": the resubmit pays for a second render.
TEST_CASE("TASK_ID_UNUSABLE is advised with what the resubmit costs; a code from the API is one shell word") {
  NextStepsContext at{"/home/me/night.yaml", "/home/me/reelq.db", "night"};
  auto lines = next_steps({{"TASK_ID_UNUSABLE", 1}}, at);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0] ==
        "TASK_ID_UNUSABLE: the API made these tasks (paid for) without a taskId reelq can use, so they cannot be "
        "collected; reelq retry --db /home/me/reelq.db --batch night --fail-code TASK_ID_UNUSABLE submits them "
        "again and pays again");
  auto hostile = next_steps({{"X; rm -rf ~", 1}}, at);
  REQUIRE(hostile.size() == 1);
  CHECK(hostile[0] ==
        "X; rm -rf ~: reelq retry --db /home/me/reelq.db --batch night --fail-code 'X; rm -rf ~' "
        "submits them again");
}
