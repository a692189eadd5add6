#include "cli/next_steps.h"

#include <fmt/format.h>

#include <set>

#include "queue/job_state.h"
#include "util/text.h"

namespace reelq {

namespace {

// The input was refused: only a changed job renders differently.
const std::set<std::string> k_fix_the_job = {"CONTENT_VIOLATION", "INVALID_REQUEST", "INVALID_IMAGE_URL"};
// The task is known and was paid for: retry asks about it again (fail_keeps_task, as retry itself
// decides) or fetches its result again, never resubmits.
bool retried_on_same_task(const std::string& code) {
  return fail_keeps_task(code) || code == "DOWNLOAD_FAILED";
}

std::string join(const std::vector<std::string>& codes) {
  std::string out;
  for (const auto& c : codes) {
    out += (out.empty() ? "" : ", ") + c;
  }
  return out;
}

}  // namespace

std::vector<std::string> next_steps(const std::map<std::string, int>& failures_by_code, const NextStepsContext& at) {
  std::vector<std::string> fix, same, held, lost, image, again;
  for (const auto& [code, n] : failures_by_code) {
    if (code == "RENDER_TIMEOUT" || n == 0) {
      continue;
    }
    if (k_fix_the_job.contains(code)) {
      fix.push_back(code);
    } else if (retried_on_same_task(code)) {
      same.push_back(code);
    } else if (code == "AMBIGUOUS_SUBMIT") {
      held.push_back(code);
    } else if (code == "TASK_NOT_FOUND") {
      lost.push_back(code);
    } else if (code == "IMAGE_CHECK_FAILED") {
      image.push_back(code);
    } else {
      again.push_back(code);
    }
  }
  std::string db = shell_word(at.db);
  std::string retry = fmt::format("reelq retry --db {} --batch {}", db, shell_word(at.batch));
  auto codes = [](const std::vector<std::string>& cs) {
    std::string out;
    for (const auto& c : cs) {
      out += " --fail-code " + c;
    }
    return out;
  };
  std::vector<std::string> lines;
  if (!fix.empty()) {
    lines.push_back(
        fmt::format("{}: edit those jobs in the manifest (`reelq report --db {} --batch {}` gives each "
                    "reason), then: reelq run {} --replace-changed",
                    join(fix), db, shell_word(at.batch), shell_word(at.manifest)));
  }
  if (!image.empty()) {
    lines.push_back(fmt::format("{}: fix the image files named above, then: {}{}", join(image), retry, codes(image)));
  }
  if (!same.empty()) {
    lines.push_back(fmt::format("{}: {}{} (the same tasks, not paid again)", join(same), retry, codes(same)));
  }
  if (!again.empty()) {
    lines.push_back(fmt::format("{}: {}{} submits them again", join(again), retry, codes(again)));
  }
  if (!held.empty()) {
    lines.push_back(
        fmt::format("{}: the API may have made these tasks already; check your apixo dashboard, then "
                    "{}{} (may be charged twice)",
                    join(held), retry, codes(held)));
  }
  if (!lost.empty()) {
    // The API gave these tasks an id: they existed, and a lagging replica or another key may be all
    // that answered 404 (sched/task_lost.h). A resubmit is a second render.
    lines.push_back(
        fmt::format("{}: the API made these tasks, then said for 10 minutes that it did not know them; "
                    "they may still render and be charged. Check your apixo dashboard first; only if "
                    "they are not there: {}{} (may be charged twice)",
                    join(lost), retry, codes(lost)));
  }
  return lines;
}

}  // namespace reelq
