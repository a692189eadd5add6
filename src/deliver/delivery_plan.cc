#include "deliver/delivery_plan.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>

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
    items.push_back({b.name, row.job_id, row.take, f.idx + 1, source.lexically_normal(), f.sha256, *name});
  }
  return ok_status();
}

// Why a placeholder tells files apart, for the advice.
std::string_view what_it_tells_apart(std::string_view placeholder) {
  if (placeholder == "{job}") {
    return "{job} tells different jobs apart";
  }
  if (placeholder == "{take}") {
    return "{take} tells the takes of one job apart";
  }
  if (placeholder == "{batch}") {
    return "{batch} tells a job id used in two batches apart";
  }
  return "{index} tells the files of one take apart";
}

// The template with `add` put in, before a closing {ext} (which must stay last to be an extension).
std::string with_placeholders(std::string_view name_template, const std::vector<std::string_view>& add) {
  std::string extra;
  for (std::string_view p : add) {
    extra += "-" + std::string(p);
  }
  std::string t(name_template);
  return t.ends_with("{ext}") ? t.substr(0, t.size() - 5) + extra + "{ext}" : t + extra;
}

std::string describe(const DeliveryItem& i, bool with_index) {
  return fmt::format("batch {} job {} take {}{}", i.batch, i.job, i.take,
                     with_index ? fmt::format(" file {}", i.index) : "");
}

// The advice for the clashes found: the placeholders that tell every clashing pair apart (the
// first missing one of each pair), or, when the template has them all, that values run together.
// A job id used in two batches may only mean that one batch was meant: --batch says so.
std::string clash_advice(const std::vector<std::pair<const DeliveryItem*, const DeliveryItem*>>& clashes,
                         std::string_view name_template) {
  std::vector<std::string_view> add;
  for (const auto& [a, b] : clashes) {
    auto missing = telling_apart(*a, *b, name_template);
    if (!missing.empty() && std::find(add.begin(), add.end(), missing.front()) == add.end()) {
      add.push_back(missing.front());
    }
  }
  if (add.empty()) {
    return "the values run together: put a separator between the placeholders (such as {job}-{take})";
  }
  std::vector<std::string> why;
  for (std::string_view p : add) {
    why.emplace_back(what_it_tells_apart(p));
  }
  std::string one_batch =
      std::find(add.begin(), add.end(), "{batch}") != add.end() ? "; or deliver one batch at a time: --batch NAME" : "";
  return fmt::format("add {} to it ({}): --name '{}'{}", fmt::join(add, " and "), fmt::join(why, ", "),
                     with_placeholders(name_template, add), one_batch);
}

// Two files under one name would make the second look like a conflict with the first.
Status check_unique(const std::vector<DeliveryItem>& items, std::string_view name_template) {
  std::map<std::string, const DeliveryItem*> seen;
  std::vector<std::pair<const DeliveryItem*, const DeliveryItem*>> clashes;
  for (const auto& item : items) {
    auto [it, fresh] = seen.emplace(item.name, &item);
    if (!fresh) {
      clashes.emplace_back(it->second, &item);
    }
  }
  if (clashes.empty()) {
    return ok_status();
  }
  const auto& [a, b] = clashes.front();
  std::string others = clashes.size() > 2
                           ? fmt::format(" ({} more files share a name with another)", clashes.size() - 1)
                       : clashes.size() > 1 ? std::string(" (1 more file shares a name with another)")
                                            : "";
  return Error{ErrorKind::input,
               fmt::format("--name gives {} to two files ({}, and {}){}: {}; nothing was delivered", a->name,
                           describe(*a, a->index != b->index), describe(*b, a->index != b->index), others,
                           clash_advice(clashes, name_template))};
}

// "the picks name job zz take 2, which is not a succeeded take": every such take (up to a screen's
// worth), each with its state when it is in the queue at all, so one run of the fix finds them all.
Error stray_picks_error(const std::vector<std::pair<std::string, int>>& stray,
                        const std::map<std::pair<std::string, int>, JobState>& states, const Picks& picks) {
  constexpr size_t k_shown = 10;
  std::string of_batch = picks.batch ? " of batch " + *picks.batch : "";
  auto name = [&](const std::pair<std::string, int>& t) {
    auto it = states.find(t);
    std::string state = it == states.end() ? "not in the queue" : std::string(to_string(it->second));
    return fmt::format("job {} take {} ({})", t.first, t.second, state);
  };
  // What fixes it: a take of this queue marked by mistake (or not done yet), or another queue's
  // marks (a take it has never had).
  size_t in_queue = static_cast<size_t>(
      std::count_if(stray.begin(), stray.end(), [&](const auto& t) { return states.contains(t); }));
  std::string fix;
  if (in_queue == stray.size()) {
    fix = fmt::format(" (unmark {} on the review page, key u, and export the marks again; or deliver once {} "
                      "succeeded)",
                      stray.size() == 1 ? "it" : "them", stray.size() == 1 ? "it has" : "they have");
  } else if (in_queue == 0) {
    fix = " (marks made on another queue's page? pass --db with the queue the page was made from)";
  } else {
    fix = " (unmark the failed or unfinished ones on the review page, key u; the others are not in this queue: "
          "marks made on another queue's page? pass --db with the queue the page was made from)";
  }
  if (stray.size() == 1) {
    return Error{ErrorKind::input, fmt::format("the picks name {}, which is not a succeeded take{}; nothing was "
                                               "delivered{}",
                                               name(stray.front()), of_batch, fix)};
  }
  std::vector<std::string> shown;
  for (size_t i = 0; i < stray.size() && i < k_shown; ++i) {
    shown.push_back(name(stray[i]));
  }
  std::string more = stray.size() > k_shown ? fmt::format(" and {} more", stray.size() - k_shown) : "";
  return Error{ErrorKind::input, fmt::format("the picks name {} takes that are not succeeded takes{}: {}{}; nothing "
                                             "was delivered{}",
                                             stray.size(), of_batch, fmt::join(shown, ", "), more, fix)};
}

}  // namespace

// The placeholders that would tell `a` and `b` apart, most telling first, leaving out those the
// template already uses: a user whose takes collide needs {take}, not {batch} or {index}.
std::vector<std::string_view> telling_apart(const DeliveryItem& a, const DeliveryItem& b,
                                            std::string_view name_template) {
  std::vector<std::string_view> out;
  auto add = [&](bool differ, std::string_view placeholder) {
    if (differ && name_template.find(placeholder) == std::string_view::npos) {
      out.push_back(placeholder);
    }
  };
  add(a.job != b.job, "{job}");
  add(a.take != b.take, "{take}");
  add(a.batch != b.batch, "{batch}");
  add(a.index != b.index, "{index}");
  return out;
}

Result<std::vector<DeliveryItem>> plan_delivery(const std::vector<BatchReport>& batches, const Picks* picks,
                                                std::string_view name_template) {
  std::vector<DeliveryItem> items;
  std::map<std::pair<std::string, int>, JobState> states;
  for (const BatchReport& b : batches) {
    for (const ReportRow& row : b.rows) {
      std::pair<std::string, int> take{row.job_id, row.take};
      // A take succeeded in one batch and failed in another is a succeeded take for the picks.
      if (auto [it, fresh] = states.emplace(take, row.state); !fresh && row.state == JobState::succeeded) {
        it->second = row.state;
      }
      if (row.state != JobState::succeeded || (picks && !picks->keepers.contains(take))) {
        continue;
      }
      if (auto st = plan_take(b, row, name_template, items); !st) {
        return st.error();
      }
    }
  }
  if (picks) {
    std::vector<std::pair<std::string, int>> stray;
    for (const auto& take : picks->keepers) {
      if (auto it = states.find(take); it == states.end() || it->second != JobState::succeeded) {
        stray.push_back(take);
      }
    }
    if (!stray.empty()) {
      return stray_picks_error(stray, states, *picks);
    }
  }
  if (auto st = check_unique(items, name_template); !st) {
    return st.error();
  }
  return items;
}

}  // namespace reelq
