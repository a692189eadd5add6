#include "deliver/delivery_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "deliver/delivery_name.h"

namespace reelq {

namespace fs = std::filesystem;

namespace {

// The items of one take, or why it cannot be delivered.
Status plan_take(const BatchReport& b, const ReportRow& row, std::string_view name_template,
                 std::vector<DeliveryItem>& items) {
  if (row.files.empty() ||
      std::any_of(row.files.begin(), row.files.end(), [](const ReportFile& f) { return f.path.empty(); })) {
    return Error{ErrorKind::input, fmt::format("batch {} job {} take {} succeeded but its result is not on disk: "
                                               "`reelq download` fetches it; nothing was delivered",
                                               b.name, row.job_id, row.take)};
  }
  for (const ReportFile& f : row.files) {
    // A path recorded relative to the batch's folder, or absolute for a folder it used before.
    fs::path source = fs::path(b.output_dir) / f.path;
    NameFields fields{row.job_id, row.take, b.name, source.extension().string(), f.idx + 1};
    auto name = delivery_name(name_template, fields);
    if (!name) {
      return name.error();
    }
    items.push_back({b.name, row.job_id, row.take, source.lexically_normal(), f.sha256, *name});
  }
  return ok_status();
}

// Two files under one name would make the second look like a conflict with the first.
Status check_unique(const std::vector<DeliveryItem>& items) {
  std::map<std::string, const DeliveryItem*> seen;
  for (const auto& item : items) {
    auto [it, fresh] = seen.emplace(item.name, &item);
    if (!fresh) {
      const DeliveryItem& a = *it->second;
      return Error{ErrorKind::input,
                   fmt::format("--name gives {} to two files ({} take {} of batch {}, and {} take {} of batch {}): "
                               "add {{batch}} or {{index}} to it; nothing was delivered",
                               item.name, a.job, a.take, a.batch, item.job, item.take, item.batch)};
    }
  }
  return ok_status();
}

}  // namespace

Result<std::vector<DeliveryItem>> plan_delivery(const std::vector<BatchReport>& batches, const Picks* picks,
                                                std::string_view name_template) {
  std::vector<DeliveryItem> items;
  std::set<std::pair<std::string, int>> found;
  for (const BatchReport& b : batches) {
    for (const ReportRow& row : b.rows) {
      std::pair<std::string, int> take{row.job_id, row.take};
      if (row.state != JobState::succeeded || (picks && !picks->keepers.contains(take))) {
        continue;
      }
      found.insert(take);
      if (auto st = plan_take(b, row, name_template, items); !st) {
        return st.error();
      }
    }
  }
  if (picks) {
    for (const auto& [job, take] : picks->keepers) {
      if (!found.contains({job, take})) {
        return Error{ErrorKind::input, fmt::format("the picks name job {} take {}, which is not a succeeded take{}; "
                                                   "nothing was delivered",
                                                   job, take, picks->batch ? " of batch " + *picks->batch : "")};
      }
    }
  }
  if (auto st = check_unique(items); !st) {
    return st.error();
  }
  return items;
}

}  // namespace reelq
