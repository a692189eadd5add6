// report, batches, estimate: the commands that read a batch's outcome or its cost.
#include <fmt/format.h>
#include <fmt/ostream.h>

#include <ostream>

#include "cli/batch_settings.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/db_location.h"
#include "cli/run_key.h"
#include "cli/run_money.h"
#include "cli/time_window.h"
#include "cost/estimate.h"
#include "cost/render_prior.h"
#include "manifest/job_input.h"
#include "queue/input_match.h"
#include "queue/job_state.h"
#include "queue/operations.h"
#include "queue/queue.h"
#include "queue/run_store.h"
#include "report/report_file.h"
#include "report/state_filter.h"
#include "sched/spend_cap.h"
#include "settings.h"
#include "util/text.h"
#include "util/time_text.h"

namespace reelq {

namespace fs = std::filesystem;

namespace {

// Takes whose spec the manifest changed since they were enqueued: a plain run leaves them out,
// `--replace-changed` renders them, and what that costs is said before anything runs.
void print_changed(const std::vector<RenderSpec>& changed, const Manifest& manifest, const Settings& settings,
                   const PriceTable& prices, std::ostream& out) {
  if (changed.empty()) {
    return;
  }
  Estimate e =
      estimate_renders(changed, manifest.model, prices, settings.max_concurrent, settings.rpm, k_prior_render_ms);
  fmt::print(out,
             "  changed since enqueued: {} not rendered with the manifest's spec ({}); a plain run leaves "
             "{} out, `reelq run --replace-changed` renders {}\n",
             count_of(e.renders, "take"), format_money(e.cost, prices.currency), e.renders == 1 ? "it" : "them",
             e.renders == 1 ? "it" : "them");
}

// What a spend cap pays for of `renders`, in order as the runner submits them (sched/spend_cap.h:
// the first that does not fit stops submitting), beside `committed` already.
void print_spend_cap_reach(const std::vector<RenderSpec>& renders, const std::string& model, double cap,
                           double committed, const PriceTable& prices, std::string_view of_what, std::ostream& out) {
  std::vector<std::optional<double>> priced;
  for (const RenderSpec& spec : renders) {
    priced.push_back(price_of(spec, model, prices));
  }
  const CapReach reach = cap_reach(cap, committed, priced);
  std::string what = count_of(static_cast<long long>(renders.size()), "render");
  what += of_what.empty() ? "" : " " + std::string(of_what);
  const std::string spent_before = committed > 0 ? fmt::format(" beside the {} the batch may have cost already",
                                                               format_money(committed, prices.currency))
                                                 : "";
  if (reach.fits == reach.renders) {
    fmt::print(out, "  spend cap: {} (max_spend) pays for {} {}{}\n", format_money(cap, prices.currency),
               renders.size() == 1 ? "the" : "all", what, spent_before);
    return;
  }
  // An unpriced render is named by estimate itself (exit 2); no cap pays for it.
  fmt::print(out, "  spend cap: {} (max_spend) pays for {} of the {}{}, in manifest order{}\n",
             format_money(cap, prices.currency), reach.fits, what, spent_before,
             reach.to_finish ? fmt::format("; {} pays for all", format_money(*reach.to_finish, prices.currency)) : "");
}

// For a manifest whose batch is already in its queue: what is left to render (takes not in the
// queue yet, or queued) and what the batch has cost so far. Says nothing when there is no queue.
// Returns whether the batch is in its queue.
bool print_left_to_render(const Manifest& manifest, const EstimateFlags& flags, const Settings& settings,
                          const PriceTable& prices, std::ostream& out) {
  auto db = db_for_manifest("", flags.manifest, manifest.batch, fs::current_path());
  std::error_code ec;
  if (!db || !fs::exists(db->path, ec)) {
    return false;
  }
  auto queue = open_queue(db->path.string());
  if (!queue) {
    return false;
  }
  auto stored = take_specs(queue.value()->db(), manifest.batch);
  if (!stored || stored->empty()) {
    return false;
  }
  std::vector<RenderSpec> left;
  std::vector<RenderSpec> changed;  // rendered again only by `run --replace-changed`
  for (const JobSpec& spec : manifest.jobs) {
    const std::string input = input_json(spec);
    RenderSpec render = render_spec_of(input);
    for (int take = 1; take <= spec.takes; ++take) {
      auto it = stored->find({spec.id, take});
      if (it == stored->end() || (it->second.state == JobState::queued && same_input(it->second.input_json, input))) {
        left.push_back(render);
      } else if (const StoredTakeSpec& t = it->second;
                 replaceable_when_changed(t.state, t.fail_code, t.has_task, t.has_results) &&
                 !same_input(t.input_json, input)) {
        changed.push_back(render);
      }
    }
  }
  print_changed(changed, manifest, settings, prices, out);
  Estimate e = estimate_renders(left, manifest.model, prices, settings.max_concurrent, settings.rpm, k_prior_render_ms);
  if (e.renders == 0) {
    fmt::print(out, "  left to render: nothing; every take is rendered or at the API (queue {})\n", db->path.string());
  } else {
    fmt::print(out, "  left to render: {} render{}, {} s of video, {}; at least {} (queue {})\n", e.renders,
               e.renders == 1 ? "" : "s", e.video_seconds, format_money(e.cost, prices.currency),
               format_duration(e.wall_lower_bound_ms()), db->path.string());
  }
  if (auto money = batch_money_text(queue.value()->db(), manifest.batch, manifest.model, prices); money && money->any) {
    fmt::print(out, "  spent so far: {}\n", money->spent);
    if (!money->balance.empty()) {
      fmt::print(out, "  balance around its runs: {}\n", money->balance);
    }
  }
  // The cap the next run would keep: the flags its last run was given are remembered, and win over
  // the manifest (cli/batch_settings.h), so this one can differ from the manifest's.
  auto next = manifest_batch_settings(&queue.value()->db(), manifest, flags.manifest, flags.settings);
  auto spend = batch_spend(queue.value()->db(), manifest.batch, manifest.model, prices);
  if (next && next->max_spend && spend) {
    print_spend_cap_reach(left, manifest.model, *next->max_spend, spend->cost + spend->possible_cost, prices, "left",
                          out);
  }
  return true;
}

}  // namespace

int cmd_report(const ReportFlags& flags, CommandIo io) {
  auto format = parse_report_format(flags.format, flags.output);
  if (!format) {
    return report_error(io.err, format.error());
  }
  std::optional<JobState> state;
  if (flags.state) {
    auto parsed = parse_state_flag(*flags.state);
    if (!parsed) {
      return report_error(io.err, parsed.error());
    }
    state = *parsed;
  }
  auto queue = open_existing_queue(flags.db);
  if (!queue) {
    return report_error(io.err, queue.error());
  }
  auto reports = load_reports(queue.value()->db(), flags.batch, events_needed(*format));
  if (!reports) {
    return report_error(io.err, reports.error());
  }
  if (state) {
    keep_rows_in_state(*reports, *state);
  }
  auto prices = load_prices(prices_path(flags.prices));
  if (!prices) {
    return report_error(io.err, prices.error());
  }
  if (auto st = attach_spend(queue.value()->db(), *prices, *reports, flags.window); !st) {
    return report_error(io.err, st.error());
  }
  TimeMs now = system_clock().now_ms();
  if (flags.output.empty()) {
    write_report(*reports, *format, now, fs::current_path(), io.out);
    return k_exit_ok;
  }
  if (auto st = write_report_file(*reports, *format, now, flags.output); !st) {
    return report_error(io.err, st.error());
  }
  size_t rows = 0;
  for (const auto& b : *reports) {
    rows += b.rows.size();
  }
  fmt::print(io.err, "reelq: wrote {} ({} report, {})\n", flags.output, to_string(*format),
             count_of(static_cast<long long>(rows), "render"));
  return k_exit_ok;
}

int cmd_batches(const std::string& db_path, const TimeWindow& window, CommandIo io) {
  auto queue = open_existing_queue(db_path);
  if (!queue) {
    return report_error(io.err, queue.error());
  }
  auto summaries = queue.value()->summaries(std::nullopt);
  if (!summaries) {
    return report_error(io.err, summaries.error());
  }
  if (summaries->empty()) {
    io.out << "no batches in " << db_path << "\n";
    return k_exit_ok;
  }
  auto prices = load_prices(prices_path(""));
  TimeMs now = system_clock().now_ms();
  // SPENT and POSSIBLY are the summary's figures (cost/spend.h): rendered takes, and what failed
  // tasks and possible duplicates may have added.
  fmt::print(io.out, "{:<24} {:>6} {:>9} {:>6} {:>5} {:>9} {:>10} {:>10}  {:<10} {:<10}\n", "BATCH", "TOTAL",
             "SUCCEEDED", "FAILED", "OPEN", "CANCELLED", "SPENT", "POSSIBLY", "CREATED", "LAST CHANGE");
  for (const auto& s : *summaries) {
    int done = s.counts.at(JobState::succeeded);
    int failed = s.counts.at(JobState::failed);
    int cancelled = s.counts.at(JobState::cancelled);
    std::string spent = "?";
    std::string possibly = "?";
    std::string by_key;
    // One read of the batch's submits prices it as a whole and by key.
    auto renders = prices ? submitted_renders(queue.value()->db(), s.name, window)
                          : Result<std::vector<SubmittedRender>>(prices.error());
    if (renders) {
      Spend spend = price_submitted(*renders, s.model, *prices);
      spent = format_money(spend.rendered_cost, prices->currency);
      possibly = format_money(spend.failed_cost + spend.possible_cost, prices->currency);
      by_key = describe_by_key(price_by_key(*renders, s.model, *prices), prices->currency);
    }
    fmt::print(io.out, "{:<24} {:>6} {:>9} {:>6} {:>5} {:>9} {:>10} {:>10}  {:<10} {:<10}\n", s.name, s.total(), done,
               failed, s.total() - done - failed - cancelled, cancelled, spent, possibly,
               format_age(now - s.created_at) + " ago", format_age(now - s.updated_at) + " ago");
    if (!by_key.empty()) {
      fmt::print(io.out, "  by key: {}\n", by_key);
    }
  }
  if (window.since || window.until) {
    fmt::print(io.out, "SPENT and POSSIBLY count the tasks submitted{}\n", describe_window(window));
  }
  if (RunStore(queue.value()->db(), system_clock()).said_rehearsal()) {
    fmt::print(io.out, "a rehearsal's queue: SPENT and POSSIBLY are simulated, nothing was charged\n");
  }
  return k_exit_ok;
}

int cmd_estimate(const EstimateFlags& flags, CommandIo io) {
  auto manifest = load_manifest(flags.manifest);
  if (!manifest) {
    return report_error(io.err, manifest.error());
  }
  auto settings = manifest_settings(*manifest, flags.manifest, flags.settings);
  if (!settings) {
    return report_error(io.err, settings.error());
  }
  auto prices = load_prices(prices_path(flags.prices));
  if (!prices) {
    return report_error(io.err, prices.error());
  }
  // With a keys file, the pool's slots and budget: each key's caps, the settings' where it names none.
  int slots = settings->max_concurrent;
  int rpm = settings->rpm;
  std::string pool;
  if (std::string keys = keys_file_path(flags.keys_file); !keys.empty()) {
    auto plans = keys_file_plans(keys);
    if (!plans) {
      return report_error(io.err, plans.error());
    }
    slots = rpm = 0;
    for (const DrivenKey& k : *plans) {
      int k_slots = k.max_concurrent > 0 ? k.max_concurrent : settings->max_concurrent;
      int k_rpm = k.rpm > 0 ? k.rpm : settings->rpm;
      slots += k_slots;
      rpm += k_rpm;
      pool += fmt::format("{}{} ({} at once, {}/min)", pool.empty() ? "" : ", ", k.name, k_slots, k_rpm);
    }
  }
  Estimate e = estimate_renders(render_specs_of(*manifest), manifest->model, *prices, slots, rpm, k_prior_render_ms);
  fmt::print(io.out, "batch {}: {}, {}, {} s of video ({})\n", manifest->batch, describe_jobs(*manifest),
             count_of(e.renders, "render"), e.video_seconds, manifest->model);
  for (const auto& line : e.lines) {
    fmt::print(io.out, "  {:<10} {:>2} s  x{:<5} {}\n", line.tier, line.duration, line.renders,
               line.priced ? fmt::format("{} each, {}", format_money(line.unit_price, prices->currency),
                                         format_money(line.unit_price * line.renders, prices->currency))
                           : "no price in the table");
  }
  int unpriced = 0;
  for (const auto& line : e.lines) {
    unpriced += line.priced ? 0 : line.renders;
  }
  // A render with no price is not free: the figure says what it leaves out.
  std::string cost = unpriced == 0 ? format_money(e.cost, prices->currency)
                     : unpriced == e.renders
                         ? "unknown (no render has a price in the table)"
                         : fmt::format("at least {}, and unknown for the {} with no price",
                                       format_money(e.cost, prices->currency), count_of(unpriced, "render"));
  fmt::print(io.out, "  estimated cost: {} (prices: {})\n", cost, prices->source);
  fmt::print(io.out,
             "  wall time: at least {} ({} at ~3 min each, the time of an 8 s 720p render; {} at once; {} requests at "
             "{}/min)\n",
             format_duration(e.wall_lower_bound_ms()), count_of(e.renders, "render"), slots, 2 * e.renders, rpm);
  if (!pool.empty()) {
    fmt::print(io.out, "  keys: {}; {} at once in all\n", pool, slots);
  }
  // A batch already in its queue gets the cap's reach over what is left, with what it has cost.
  if (!print_left_to_render(*manifest, flags, *settings, *prices, io.out) && settings->max_spend) {
    print_spend_cap_reach(render_specs_of(*manifest), manifest->model, *settings->max_spend, 0, *prices, "", io.out);
  }
  if (!e.unpriced.empty()) {
    std::string tiers;
    for (const auto& t : e.unpriced) {
      tiers += (tiers.empty() ? "" : ", ") + t;
    }
    fmt::print(io.err,
               "reelq: {} has no price for {} at {}; the cost above leaves them out. Copy the table (schemas/"
               "prices.json; installed, PREFIX/share/reelq/prices.json), add them, and pass --prices FILE\n",
               prices->source, manifest->model, tiers);
    return k_exit_usage;
  }
  return k_exit_ok;
}

}  // namespace reelq
