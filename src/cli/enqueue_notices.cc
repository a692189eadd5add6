#include "cli/enqueue_notices.h"

#include <fmt/format.h>

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

}  // namespace

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
                                   one ? "is" : "are", c.manifest_name, id_list(report.removed));
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
                                count_of(static_cast<long long>(n), "job"), c.manifest_name, one ? "is" : "are",
                                id_list(report.removed_at_api), one ? "it is" : "they are",
                                one ? "its result is" : "their results are"));
  }
  if (size_t n = report.renamed.size(); n > 0) {
    bool one = n == 1;
    lines.push_back(fmt::format(
        "warning: {} new to the queue {} for exactly what {} no longer in {} already paid for ({}): the id{} "
        "changed (a renamed job, or ids an older reelq gave a vary:), and a run renders and pays for {} "
        "again. To keep the renders, give {} old id{} back in the manifest",
        count_of(static_cast<long long>(n), "job"), one ? "asks" : "ask", one ? "a job" : "jobs", c.manifest_name,
        id_list(report.renamed), one ? "" : "s", one ? "it" : "them", one ? "it its" : "them their", one ? "" : "s"));
  }
  lines.insert(lines.end(), report.left_out.begin(), report.left_out.end());
  lines.insert(lines.end(), report.kept.begin(), report.kept.end());
  return lines;
}

}  // namespace reelq
