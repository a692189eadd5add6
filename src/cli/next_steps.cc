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
  std::vector<std::string> fix, same, held, unnamed, image, again;
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
    } else if (code == k_task_id_unusable) {
      unnamed.push_back(code);
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
      out += " --fail-code " + shell_word(c);  // a code is the API's text: never a command of its own
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
  if (!unnamed.empty()) {
    lines.push_back(
        fmt::format("{}: the API made these tasks (paid for) without a taskId reelq can use, so they "
                    "cannot be collected; {}{} submits them again and pays again",
                    join(unnamed), retry, codes(unnamed)));
  }
  return lines;
}

}  // namespace reelq
