#include "cli/next_steps.h"

#include <fmt/format.h>

#include <set>

#include "cli/invocation.h"
#include "queue/job_state.h"
#include "util/text.h"

namespace reelq {

namespace {

// The input was refused: only a changed job renders differently.
const std::set<std::string, std::less<>> k_fix_the_job = {"CONTENT_VIOLATION", "INVALID_REQUEST", "INVALID_IMAGE_URL"};

std::string join(const std::vector<std::string>& codes) {
  std::string out;
  for (const auto& c : codes) {
    out += (out.empty() ? "" : ", ") + c;
  }
  return out;
}

std::string retry_command(const NextStepsContext& at) {
  return fmt::format("{} retry --db {} --batch {}", reelq_command(), shell_word(at.db), shell_word(at.batch));
}

// Where the jobs to edit are written: "the manifest", the job lists named, or both.
std::string edit_where(const NextStepsContext& at) {
  std::vector<std::string> files;
  if (at.edit_in_manifest || at.edit_lists.empty()) {
    files.emplace_back("the manifest");
  }
  for (const auto& list : at.edit_lists) {
    files.push_back(shell_word(list));
  }
  std::string out;
  for (size_t i = 0; i < files.size(); ++i) {
    out += (i == 0 ? "" : i + 1 == files.size() ? " and " : ", ") + files[i];
  }
  return out;
}

std::string where_served(const NextStepsContext& at) {
  return at.public_url.empty() ? std::string("--public-url") : at.public_url;
}

// " --fail-code C" for each code: a code is the API's text, never a command of its own.
std::string fail_code_flags(const std::vector<std::string>& cs) {
  std::string out;
  for (const auto& c : cs) {
    out += " --fail-code " + shell_word(c);
  }
  return out;
}

// The line for the codes `cs` that share `remedy` ("" for none: renders given up on have the
// summary's own line).
std::string remedy_line(Remedy remedy, const std::vector<std::string>& cs, const NextStepsContext& at) {
  const std::string retry = retry_command(at);
  switch (remedy) {
    case Remedy::edit_job:
      return fmt::format(
          "{}: edit those jobs in {} (`{} status --failed --db {} --batch {}` "
          "gives each reason{}), then: {} run {} --replace-changed",
          join(cs), edit_where(at), reelq_command(), shell_word(at.db), shell_word(at.batch),
          at.edit_lists.empty() ? "" : " and place", reelq_command(), shell_word(at.manifest));
    case Remedy::check_public_url:
      return fmt::format(
          "{}: the API could not fetch the local images reelq served at {} (the manifest "
          "is not the cause): check that this URL reaches --listen (the tunnel or proxy), "
          "then: {}{}",
          join(cs), where_served(at), retry, fail_code_flags(cs));
    case Remedy::fix_image_file:
      return fmt::format("{}: fix the image files named above, then: {}{}", join(cs), retry, fail_code_flags(cs));
    case Remedy::same_task:
      return fmt::format("{}: {}{} (the same tasks, not paid again)", join(cs), retry, fail_code_flags(cs));
    case Remedy::submit_again:
      return fmt::format("{}: {}{} submits them again", join(cs), retry, fail_code_flags(cs));
    case Remedy::check_dashboard:
      return fmt::format(
          "{}: the API may have made these tasks already; check your apixo dashboard, "
          "then {}{} (may be charged twice)",
          join(cs), retry, fail_code_flags(cs));
    case Remedy::task_lost:
      // The API gave these tasks an id: they existed, and a lagging replica or another key may be
      // all that answered 404 (sched/task_lost.h). A resubmit is a second render.
      return fmt::format(
          "{}: the API made these tasks, then said for 10 minutes that it did not know them; "
          "they may still render and be charged. Check your apixo dashboard first; only if "
          "they are not there: {}{} (may be charged twice)",
          join(cs), retry, fail_code_flags(cs));
    case Remedy::key_dropped:
      return fmt::format(
          "{}: these tasks were made with a key this run was not given (--drop-key); they may "
          "still render and be charged, and only that key can collect them: a resume given it asks "
          "the API about them again, at no charge. Without it, check your apixo dashboard first; only "
          "if they are not there: {}{} (may be charged twice)",
          join(cs), retry, fail_code_flags(cs));
    case Remedy::task_unnamed:
      return fmt::format(
          "{}: the API made these tasks (paid for) without a taskId reelq can use, so they "
          "cannot be collected; {}{} submits them again and pays again",
          join(cs), retry, fail_code_flags(cs));
    case Remedy::ask_again:
      break;
  }
  return "";
}

}  // namespace

Remedy remedy_for(std::string_view code, bool served_image) {
  if (code == "INVALID_IMAGE_URL" && served_image) {
    return Remedy::check_public_url;
  }
  if (k_fix_the_job.contains(code)) {
    return Remedy::edit_job;
  }
  if (code == "RENDER_TIMEOUT") {
    return Remedy::ask_again;
  }
  // The task is known and was paid for: retry asks about it again (fail_keeps_task, as retry itself
  // decides) or fetches its result again, never resubmits.
  if (fail_keeps_task(code) || code == "DOWNLOAD_FAILED") {
    return Remedy::same_task;
  }
  if (code == "AMBIGUOUS_SUBMIT") {
    return Remedy::check_dashboard;
  }
  if (code == "TASK_NOT_FOUND") {
    return Remedy::task_lost;
  }
  if (code == k_task_id_unusable) {
    return Remedy::task_unnamed;
  }
  if (code == "KEY_DROPPED") {
    return Remedy::key_dropped;
  }
  if (code == "IMAGE_CHECK_FAILED") {
    return Remedy::fix_image_file;
  }
  return Remedy::submit_again;
}

std::vector<std::string> next_steps(const std::map<std::string, int>& failures_by_code, const NextStepsContext& at) {
  std::map<Remedy, std::vector<std::string>> by_remedy;
  for (const auto& [code, n] : failures_by_code) {
    if (n == 0) {
      continue;
    }
    // Served images are the public URL's fault; any other INVALID_IMAGE_URL is the manifest's.
    int served = code == "INVALID_IMAGE_URL" ? std::min(n, at.served_image_refusals) : 0;
    if (served > 0) {
      by_remedy[Remedy::check_public_url].push_back(code);
    }
    if (n > served) {
      by_remedy[remedy_for(code, false)].push_back(code);
    }
  }
  std::vector<std::string> lines;
  for (const auto& [remedy, cs] : by_remedy) {
    if (std::string line = remedy_line(remedy, cs, at); !line.empty()) {
      lines.push_back(std::move(line));
    }
  }
  return lines;
}

// A rehearsal's failed take: a refused input is edited and a local image fixed; anything else was
// the simulator's fault injection. Either way the next step is another rehearsal, never the paid
// run that `run M --replace-changed` or a retry and resume would be.
std::string rehearsal_take_advice(Remedy remedy, const std::string& job_id, const NextStepsContext& at) {
  const std::string again = fmt::format("{} run --rehearse {}", reelq_command(), shell_word(at.manifest));
  if (remedy == Remedy::edit_job) {
    auto row = at.listed_at.find(job_id);
    return fmt::format("edit {} {} {}, then rehearse again: {}", job_id, row != at.listed_at.end() ? "at" : "in",
                       shell_word(row != at.listed_at.end() ? row->second : at.manifest), again);
  }
  if (remedy == Remedy::fix_image_file) {
    return fmt::format("fix the image file, then rehearse again: {}", again);
  }
  return fmt::format("the simulator's fault; rehearse again: {}", again);
}

std::string take_advice(Remedy remedy, const std::string& job_id, const NextStepsContext& at) {
  if (at.rehearsal) {
    return rehearsal_take_advice(remedy, job_id, at);
  }
  std::string retry = fmt::format("{} --job {}", retry_command(at), shell_word(job_id));
  switch (remedy) {
    case Remedy::edit_job:
      // A row of a jobs_from: list is edited there; the manifest is still what is run again.
      if (auto row = at.listed_at.find(job_id); row != at.listed_at.end()) {
        return fmt::format("edit {} at {}, then: {} run {} --replace-changed", job_id, shell_word(row->second),
                           reelq_command(), shell_word(at.manifest));
      }
      return fmt::format("edit {} in {}, then: {} run {} --replace-changed", job_id, shell_word(at.manifest),
                         reelq_command(), shell_word(at.manifest));
    case Remedy::check_public_url:
      return fmt::format("check that {} reaches --listen, then: {}", where_served(at), retry);
    case Remedy::fix_image_file:
      return fmt::format("fix the image file, then: {}", retry);
    case Remedy::same_task:
      return fmt::format("{} (the same task, not paid again)", retry);
    case Remedy::submit_again:
      return fmt::format("{} (submits it again)", retry);
    case Remedy::check_dashboard:
      return fmt::format("check your apixo dashboard, then: {} (may be charged twice)", retry);
    case Remedy::task_lost:
      return fmt::format(
          "check your apixo dashboard first (the API made this task); only if it is not there: {} "
          "(may be charged twice)",
          retry);
    case Remedy::key_dropped:
      return fmt::format(
          "its task was made with a key this run was not given (--drop-key) and may still render: "
          "a resume given that key collects it at no charge; without it, check your apixo dashboard "
          "first; only if it is not there: {} (may be charged twice)",
          retry);
    case Remedy::task_unnamed:
      return fmt::format(
          "its first task was made and paid for but cannot be collected: {} submits it again and "
          "pays again (or cancel it)",
          retry);
    case Remedy::ask_again:
      return fmt::format("{} resume --db {} --batch {} (asks the API again)", reelq_command(), shell_word(at.db),
                         shell_word(at.batch));
  }
  return "";
}

}  // namespace reelq
