#pragma once
// What to type after a night with failures, by fail code: a user who reads "failures:
// CONTENT_VIOLATION 2" should not have to find out in the docs how to fix and re-run. The summary's
// "next" lines and `reelq status --failed` give the same advice, from remedy_for.
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace reelq {

struct NextStepsContext {
  std::string manifest;  // absolute
  std::string db;        // absolute
  std::string batch;
  std::string public_url;  // --public-url of the batch's run ("" = none or not known)
  // How many of the INVALID_IMAGE_URL failures name a local image that reelq served at public_url:
  // the API could not fetch it there, and the manifest is not to blame.
  int served_image_refusals = 0;
  // Failed jobs to edit that are rows of a jobs_from: list, by id: "FILE:LINE:COL" of the row
  // (cli/job_origins.h). A job not named here is in the manifest, or its place is not known.
  std::map<std::string, std::string> listed_at{};
  // The jobs_from: lists holding failed jobs to edit, and whether the manifest itself holds some
  // (or where they are is not known): what the summary's line names.
  std::set<std::string> edit_lists{};
  bool edit_in_manifest = false;
  // The queue is a rehearsal's (reelq run --rehearse): it is never resumed nor retried against a
  // real API, so every take's advice is to rehearse again (after an edit, for an input refused).
  bool rehearsal = false;
};

// What fixes a failed take, in the order the summary says them.
enum class Remedy {
  edit_job,          // the API refused the input: only a changed job renders differently
  check_public_url,  // the API could not fetch an image reelq served: the tunnel or proxy is wrong
  fix_image_file,    // reelq refused a local image before sending it
  same_task,         // the task is known and paid for: retry asks about it again
  submit_again,      // nothing was paid or the API failed: retry submits it again
  check_dashboard,   // the API may have made the task: retry may be charged twice
  task_lost,         // the API made the task, then denied it for minutes: retry may be charged twice
  task_unnamed,      // the API made the task without a usable taskId: retry pays for another render
  key_dropped,       // given up with --drop-key: the task exists under a key this run lacked
  ask_again,         // RENDER_TIMEOUT: resume asks the API about the kept taskId
};

// The remedy for a take failed with `code`; `served_image`: the take names a local image file.
Remedy remedy_for(std::string_view code, bool served_image);

// One line per kind of remedy, in the order to do them; none for RENDER_TIMEOUT (the summary has
// its own line for it) or when there are no failures.
std::vector<std::string> next_steps(const std::map<std::string, int>& failures_by_code, const NextStepsContext& at);

// What to type for one failed take of job `job_id` (`reelq status --failed`): the summary's advice
// for its remedy, for that job alone.
std::string take_advice(Remedy remedy, const std::string& job_id, const NextStepsContext& at);

}  // namespace reelq
