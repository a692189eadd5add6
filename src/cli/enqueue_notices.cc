#include "cli/enqueue_notices.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "cli/invocation.h"
#include "util/text.h"

namespace reelq {

namespace {

// A removal of hundreds of jobs names the first few, not a screenful.
constexpr size_t k_ids_named = 10;

std::string id_list(const std::vector<std::string>& ids) {
  std::string out;
  for (size_t i = 0; i < ids.size() && i < k_ids_named; ++i) {
    out += (i ? ", " : "") + ids[i];
  }
  if (ids.size() > k_ids_named) {
    out += fmt::format(" and {} more", ids.size() - k_ids_named);
  }
  return out;
}

// Where the batch's jobs are written: "m.yaml", "m.yaml or shots.csv", "m.yaml, a.csv or b.jsonl".
std::string job_files(const NoticeContext& c) {
  std::string out = c.manifest_name;
  for (size_t i = 0; i < c.job_lists.size(); ++i) {
    out += (i + 1 == c.job_lists.size() ? " or " : ", ") + c.job_lists[i];
  }
  return out;
}

// The renamed-jobs warning (EnqueueReport::renamed). With job lists, a row inserted above others
// is the usual cause, and an id column the way to keep ids.
std::string renamed_warning(const std::vector<std::string>& renamed, const NoticeContext& c) {
  bool one = renamed.size() == 1;
  bool lists = !c.job_lists.empty();
  return fmt::format(
      "warning: {} new to the queue {} for exactly what {} no longer in {} already paid for ({}): the id{} "
      "changed (a renamed job, {}ids an older reelq gave a vary:), and a run renders and pays for {} "
      "again. To keep the renders, give {} old id{} back in {}",
      count_of(static_cast<long long>(renamed.size()), "job"), one ? "asks" : "ask", one ? "a job" : "jobs",
      job_files(c), id_list(renamed), one ? "" : "s",
      lists ? "a row added or removed above it in a job list, or " : "or ", one ? "it" : "them",
      one ? "it its" : "them their", one ? "" : "s",
      lists ? fmt::format("{} (a job list's row: in an id column)", job_files(c)) : "the manifest");
}

}  // namespace

NoticeContext notice_context(const Manifest& m, const std::string& manifest_path, const std::string& db,
                             OnRemoved on_removed) {
  NoticeContext c{std::filesystem::path(manifest_path).filename().string(), db, m.batch, on_removed, {}};
  for (const JobSpec& spec : m.jobs) {
    if (!spec.source_file.empty() &&
        std::find(c.job_lists.begin(), c.job_lists.end(), spec.source_file) == c.job_lists.end()) {
      c.job_lists.push_back(spec.source_file);
    }
  }
  return c;
}

EnqueueOptions enqueue_options(bool replace_changed, bool keep_removed, bool into_batch) {
  EnqueueOptions o;
  o.on_changed = replace_changed ? OnChanged::replace : OnChanged::refuse;
  o.on_removed = keep_removed ? OnRemoved::keep : OnRemoved::cancel;
  o.into_batch = into_batch ? IntoBatch::yes : IntoBatch::no;
  o.command = reelq_command();
  return o;
}

std::vector<std::string> enqueue_notices(const EnqueueReport& report, const NoticeContext& c) {
  std::vector<std::string> lines;
  if (size_t n = report.removed.size(); n > 0) {
    bool one = n == 1;
    std::string head = fmt::format("{} {} no longer in {}: {}", count_of(static_cast<long long>(n), "queued job"),
                                   one ? "is" : "are", job_files(c), id_list(report.removed));
    if (c.on_removed == OnRemoved::keep) {
      lines.push_back(fmt::format("{}; --keep-removed: {} queued and {} rendered", head, one ? "it stays" : "they stay",
                                  one ? "is" : "are"));
    } else {
      lines.push_back(
          fmt::format("{}; {} cancelled and will not be submitted. To render {} anyway: {} retry --db {} --batch {} "
                      "--cancelled --job ID, then {} resume --db {} --batch {}",
                      head, one ? "it was" : "they were", one ? "it" : "one", reelq_command(), shell_word(c.db),
                      shell_word(c.batch), reelq_command(), shell_word(c.db), shell_word(c.batch)));
    }
  }
  if (size_t n = report.removed_at_api.size(); n > 0) {
    bool one = n == 1;
    lines.push_back(fmt::format("{} no longer in {} {} at the API already: {}; {} paid for, so {} collected",
                                count_of(static_cast<long long>(n), "job"), job_files(c), one ? "is" : "are",
                                id_list(report.removed_at_api), one ? "it is" : "they are",
                                one ? "its result is" : "their results are"));
  }
  if (!report.renamed.empty()) {
    lines.push_back(renamed_warning(report.renamed, c));
  }
  lines.insert(lines.end(), report.left_out.begin(), report.left_out.end());
  lines.insert(lines.end(), report.kept.begin(), report.kept.end());
  return lines;
}

}  // namespace reelq
