#include "cli/run_summary.h"

#include <fmt/format.h>

#include "cli/cli.h"
#include "cli/run_money.h"
#include "cost/estimate.h"
#include "util/text.h"
#include "util/time_text.h"

namespace reelq {

namespace {

// Renders given up on at render_deadline keep their taskId: the resume line collects them late.
std::string timeout_line(const SummaryFacts& f) {
  auto t = f.summary.failures_by_code.find("RENDER_TIMEOUT");
  if (t == f.summary.failures_by_code.end()) {
    return "";
  }
  bool one = t->second == 1;
  return fmt::format(
      "  {} render{} passed render_deadline and {} given up on; the taskId{} {} kept: {} asks the API "
      "again and collects a late result\n",
      t->second, one ? "" : "s", one ? "was" : "were", one ? "" : "s", one ? "is" : "are", f.resume);
}

// Why the run ended before the batch did, and the command that continues it.
std::string end_line(const SummaryFacts& f) {
  const RunSummary& s = f.summary;
  const std::string& resume = f.resume;
  switch (s.end) {
    case RunEnd::finished:
      return "";
    case RunEnd::interrupted:
      return fmt::format("  stopped with {} left; tasks already at the API keep rendering. Continue with: {}\n",
                         count_of(s.left, "job"), resume);
    case RunEnd::credits_exhausted:
      return fmt::format("  credits exhausted: {} still queued{}. Top up your apixo balance, then: {}\n",
                         count_of(s.left, "job"), s.message.empty() ? "" : "; " + s.message, resume);
    case RunEnd::key_refused:
      return fmt::format(
          "  {}\n  nothing was marked failed; fix the key (APIXO_API_KEY, --api-key-file, or its entry in the keys "
          "file), then: {}\n",
          s.message, resume);
    case RunEnd::storage_failed:
      return fmt::format("  the queue database could not be written ({}); fix that, then: {}\n", s.message, resume);
    case RunEnd::disk_full:
      return fmt::format(
          "  stopped: the disk is full ({}); nothing was marked failed and no partial file is kept. Free "
          "some space, then: {}\n",
          s.message, resume);
    case RunEnd::slots_held:
      return fmt::format("  {}; the API still counts them. Once they end: {}\n", s.message, resume);
    case RunEnd::keys_lost:
      return fmt::format("  {}. Continue with: {}\n", s.message, resume);
    case RunEnd::spend_capped:
      // With the figure that finishes the batch, the line pastes as it is; a lower one goes part way.
      return fmt::format("  spend cap reached: {} of {}; {} left. To go on, raise it: {} --max-spend {}\n",
                         format_money(s.spend_committed, s.spend_currency),
                         format_money(s.spend_cap.value_or(0), s.spend_currency), count_of(s.left, "take"), resume,
                         f.spend_to_finish ? fmt::format("{} (the batch's whole cap, which pays for every take left)",
                                                         cap_amount(*f.spend_to_finish))
                                           : "AMOUNT");
  }
  return "";
}

std::string counts_line(const SummaryFacts& f) {
  const RunSummary& s = f.summary;
  std::string line = fmt::format("batch {}: {} succeeded, {} failed", f.batch, s.succeeded, s.failed);
  if (s.cancelled) {
    line += fmt::format(", {} cancelled", s.cancelled);
  }
  if (s.left) {
    line += fmt::format(", {} left", s.left);
  }
  return line + fmt::format(" in {}\n", format_duration(s.elapsed_ms));
}

// The failures by code, then what to type about them.
std::string failures_lines(const SummaryFacts& f) {
  if (f.summary.failures_by_code.empty()) {
    return "";
  }
  std::string parts;
  for (const auto& [code, n] : f.summary.failures_by_code) {
    parts += fmt::format("{}{} {}", parts.empty() ? "" : ", ", code, n);
  }
  std::string lines = fmt::format("  failures: {}\n", parts);
  for (const auto& line : f.next) {
    lines += fmt::format("  next, {}\n", line);
  }
  return lines;
}

}  // namespace

std::string_view to_string(RunEnd end) {
  switch (end) {
    case RunEnd::finished:
      return "finished";
    case RunEnd::interrupted:
      return "interrupted";
    case RunEnd::credits_exhausted:
      return "credits_exhausted";
    case RunEnd::key_refused:
      return "key_refused";
    case RunEnd::storage_failed:
      return "storage_failed";
    case RunEnd::disk_full:
      return "disk_full";
    case RunEnd::slots_held:
      return "slots_held";
    case RunEnd::keys_lost:
      return "keys_lost";
    case RunEnd::spend_capped:
      return "spend_capped";
  }
  return "?";
}

std::string summary_text(const SummaryFacts& f) {
  std::string text = counts_line(f) + failures_lines(f);
  if (f.summary.succeeded) {
    text += fmt::format("  files: {}\n", f.files);
  }
  if (!f.money.spent.empty()) {
    text += fmt::format("  spent: {}\n", f.money.spent);
  }
  if (!f.money.balance.empty()) {
    text += fmt::format("  balance: {}\n", f.money.balance);
  }
  if (!f.summary.limits_note.empty()) {
    text += fmt::format("  note: {}\n", f.summary.limits_note);
  }
  for (const auto& line : f.summary.refused_keys) {
    text += fmt::format("  warning: {}\n", line);
  }
  return text + timeout_line(f) + end_line(f);
}

std::string summary_json(const SummaryFacts& f, TimeMs now) {
  const RunSummary& s = f.summary;
  std::string failures;
  for (const auto& [code, n] : s.failures_by_code) {
    failures += fmt::format("{}{}:{}", failures.empty() ? "" : ",", json_quote(code), n);
  }
  std::string steps;
  for (const auto& line : f.next) {
    steps += (steps.empty() ? "" : ",") + json_quote(line);
  }
  std::string refused;
  for (const auto& line : s.refused_keys) {
    refused += (refused.empty() ? "" : ",") + json_quote(line);
  }
  return fmt::format(
      R"({{"at":"{}","level":"info","event":"summary","batch":{},"end":"{}","succeeded":{},)"
      R"("failed":{},"cancelled":{},)"
      R"("left":{},"elapsed_ms":{},"failures":{{{}}},"files":{},"spent":{},"balance":{},)"
      R"("continue_with":{},"next":[{}],"limits_note":{},"refused_keys":[{}],"max_spend":{},"spend_committed":{}}})"
      "\n",
      iso_utc(now), json_quote(f.batch), to_string(s.end), s.succeeded, s.failed, s.cancelled, s.left, s.elapsed_ms,
      failures, json_quote(f.files), f.money.spent, f.money.balance,
      s.end == RunEnd::finished ? "null" : json_quote(f.resume), steps,
      s.limits_note.empty() ? "null" : json_quote(s.limits_note), refused,
      s.spend_cap ? fmt::format("{:.2f}", *s.spend_cap) : "null",
      s.spend_cap ? fmt::format("{:.2f}", s.spend_committed) : "null");
}

int exit_code_of(const RunSummary& s) {
  switch (s.end) {
    case RunEnd::finished:
      return s.failed > 0 ? k_exit_jobs_failed : k_exit_ok;
    case RunEnd::key_refused:
      return k_exit_key_refused;
    case RunEnd::interrupted:
    case RunEnd::credits_exhausted:
    case RunEnd::storage_failed:
    case RunEnd::disk_full:
    case RunEnd::slots_held:
    case RunEnd::spend_capped:
    case RunEnd::keys_lost:
      return k_exit_unfinished;
  }
  return k_exit_internal;
}

}  // namespace reelq
