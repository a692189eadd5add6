#include "cli/next_steps.h"

#include <doctest/doctest.h>

using namespace reelq;

TEST_CASE("after failures, each kind of remedy is one line with the command to type") {
  NextStepsContext at{"/home/me/night.yaml", "/home/me/reelq.db", "night", "", 0};
  auto lines = next_steps({{"CONTENT_VIOLATION", 2},
                           {"DOWNLOAD_FAILED", 1},
                           {"RENDER_TIMEOUT", 1},
                           {"RETRIES_EXHAUSTED", 1},
                           {"AMBIGUOUS_SUBMIT", 1},
                           {"INVALID_IMAGE_URL", 1}},
                          at);
  REQUIRE(lines.size() == 4);
  CHECK(lines[0] ==
        "CONTENT_VIOLATION, INVALID_IMAGE_URL: edit those jobs in the manifest (`reelq status --failed --db "
        "/home/me/reelq.db --batch night` gives each reason), then: reelq run /home/me/night.yaml --replace-changed");
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
  NextStepsContext at{"/home/me/night.yaml", "/home/me/reelq.db", "night", "", 0};
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

TEST_CASE("an image reelq served that the API could not fetch blames the public URL, not the manifest") {
  NextStepsContext at{"/home/me/night.yaml", "/home/me/reelq.db", "night", "https://tunnel.example", 2};
  auto lines = next_steps({{"INVALID_IMAGE_URL", 2}}, at);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0] ==
        "INVALID_IMAGE_URL: the API could not fetch the local images reelq served at https://tunnel.example (the "
        "manifest is not the cause): check that this URL reaches --listen (the tunnel or proxy), then: reelq retry "
        "--db /home/me/reelq.db --batch night --fail-code INVALID_IMAGE_URL");
  // One served, one a URL written in the manifest: each its own remedy.
  at.served_image_refusals = 1;
  lines = next_steps({{"INVALID_IMAGE_URL", 2}}, at);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].starts_with("INVALID_IMAGE_URL: edit those jobs in the manifest"));
  CHECK(lines[1].starts_with("INVALID_IMAGE_URL: the API could not fetch the local images reelq served at"));
  CHECK(remedy_for("INVALID_IMAGE_URL", true) == Remedy::check_public_url);
  CHECK(remedy_for("INVALID_IMAGE_URL", false) == Remedy::edit_job);
}

TEST_CASE("the advice for one failed take is the summary's, for that job alone") {
  NextStepsContext at{"/home/me/night.yaml", "/home/me/reelq.db", "night", "", 0};
  CHECK(take_advice(remedy_for("CONTENT_VIOLATION", false), "f04", at) ==
        "edit f04 in /home/me/night.yaml, then: reelq run /home/me/night.yaml --replace-changed");
  CHECK(take_advice(remedy_for("INVALID_IMAGE_URL", true), "f04", at) ==
        "check that --public-url reaches --listen, then: reelq retry --db /home/me/reelq.db --batch night --job f04");
  CHECK(take_advice(remedy_for("DOWNLOAD_FAILED", false), "f04", at) ==
        "reelq retry --db /home/me/reelq.db --batch night --job f04 (the same task, not paid again)");
  CHECK(take_advice(remedy_for("RETRIES_EXHAUSTED", false), "f04", at) ==
        "reelq retry --db /home/me/reelq.db --batch night --job f04 (submits it again)");
  CHECK(take_advice(remedy_for("AMBIGUOUS_SUBMIT", false), "f04", at) ==
        "check your apixo dashboard, then: reelq retry --db /home/me/reelq.db --batch night --job f04 (may be "
        "charged twice)");
  CHECK(take_advice(remedy_for("IMAGE_CHECK_FAILED", false), "f04", at) ==
        "fix the image file, then: reelq retry --db /home/me/reelq.db --batch night --job f04");
  CHECK(take_advice(remedy_for("RENDER_TIMEOUT", false), "f04", at) ==
        "reelq resume --db /home/me/reelq.db --batch night (asks the API again)");
}

TEST_CASE("a rehearsal's failed take is advised to rehearse again, never the paid run nor a resume") {
  NextStepsContext at{"/home/me/night.yaml", "/home/me/renders/night.rehearsal/rehearsal.db", "night", "", 0};
  at.rehearsal = true;
  CHECK(take_advice(remedy_for("CONTENT_VIOLATION", false), "f04", at) ==
        "edit f04 in /home/me/night.yaml, then rehearse again: reelq run --rehearse /home/me/night.yaml");
  CHECK(take_advice(remedy_for("IMAGE_CHECK_FAILED", false), "f04", at) ==
        "fix the image file, then rehearse again: reelq run --rehearse /home/me/night.yaml");
  for (const char* code : {"DOWNLOAD_FAILED", "RETRIES_EXHAUSTED", "AMBIGUOUS_SUBMIT", "RENDER_TIMEOUT"}) {
    CHECK(take_advice(remedy_for(code, false), "f04", at) ==
          "the simulator's fault; rehearse again: reelq run --rehearse /home/me/night.yaml");
  }
  at.listed_at["f04"] = "/home/me/shots.csv:5:1";
  CHECK(take_advice(remedy_for("CONTENT_VIOLATION", false), "f04", at) ==
        "edit f04 at /home/me/shots.csv:5:1, then rehearse again: reelq run --rehearse /home/me/night.yaml");
}

// Issue 17: a take whose submit made a task reelq cannot name must not be advised as a plain
// "submits them again": the resubmit pays for a second render.
TEST_CASE("TASK_ID_UNUSABLE is advised with what the resubmit costs; a code from the API is one shell word") {
  NextStepsContext at{"/home/me/night.yaml", "/home/me/reelq.db", "night", "", 0};
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

TEST_CASE("jobs to edit that are rows of a job list are edited there; the manifest is still what is run") {
  NextStepsContext at{"/home/me/night.yaml", "/home/me/reelq.db", "night", "", 0};
  at.listed_at["newrow"] = "/home/me/shots.csv:3:1";
  at.edit_lists = {"/home/me/shots.csv"};
  CHECK(take_advice(Remedy::edit_job, "newrow", at) ==
        "edit newrow at /home/me/shots.csv:3:1, then: reelq run /home/me/night.yaml --replace-changed");
  CHECK(take_advice(Remedy::edit_job, "f04", at) ==
        "edit f04 in /home/me/night.yaml, then: reelq run /home/me/night.yaml --replace-changed");
  auto lines = next_steps({{"CONTENT_VIOLATION", 1}}, at);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0] ==
        "CONTENT_VIOLATION: edit those jobs in /home/me/shots.csv (`reelq status --failed --db /home/me/reelq.db "
        "--batch night` gives each reason and place), then: reelq run /home/me/night.yaml --replace-changed");
  at.edit_in_manifest = true;
  at.edit_lists.insert("/home/me/extra.jsonl");
  CHECK(next_steps({{"CONTENT_VIOLATION", 2}}, at)[0].starts_with(
      "CONTENT_VIOLATION: edit those jobs in the manifest, /home/me/extra.jsonl and /home/me/shots.csv (`"));
}
