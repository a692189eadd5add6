#include "cli/finish_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "cli/invocation.h"
#include "util/text.h"

namespace reelq {

namespace {

std::string joined(const std::vector<std::string>& parts, const char* sep) {
  std::string out;
  for (const auto& p : parts) {
    out += (out.empty() ? "" : sep) + p;
  }
  return out;
}

// The spend lines that say something, one per batch.
std::vector<std::string> priced(const std::vector<std::string>& spent) {
  std::vector<std::string> out;
  for (const auto& s : spent) {
    if (!s.empty()) {
      out.push_back(s);
    }
  }
  return out;
}

// The batches with takes left, as JSON objects: what a stopped night has not done.
std::string not_drained_json(const std::vector<BatchEnd>& ends) {
  std::string out;
  for (const auto& e : ends) {
    if (e.left > 0) {
      out += fmt::format(R"({}{{"batch":{},"end":{},"left":{}}})", out.empty() ? "" : ",", json_quote(e.batch),
                         json_quote(e.end), e.left);
    }
  }
  return out;
}

// "night:5 extra:2", the batches with takes left, for REELQ_NOT_DRAINED.
std::string not_drained_words(const std::vector<BatchEnd>& ends) {
  std::string out;
  for (const auto& e : ends) {
    if (e.left > 0) {
      out += fmt::format("{}{}:{}", out.empty() ? "" : " ", e.batch, e.left);
    }
  }
  return out;
}

}  // namespace

void add_not_drained(FinishReport& r, const std::string& batch, const BatchCounts& counts) {
  r.succeeded += counts.succeeded;
  r.failed += counts.failed;
  r.cancelled += counts.cancelled;
  r.left += counts.left;
  r.batches.push_back(batch);
  r.batch_json.push_back(fmt::format(
      R"({{"event":"summary","batch":{},"end":"not_drained","succeeded":{},"failed":{},"cancelled":{},"left":{}}})",
      json_quote(batch), counts.succeeded, counts.failed, counts.cancelled, counts.left));
  r.ends.push_back({batch, "not_drained", counts.left});
}

std::string report_command(const FinishReport& r) {
  if (r.db.empty()) {
    return "";
  }
  std::string line = reelq_line("report --db ") + shell_word(r.db);
  if (r.batches.size() == 1) {
    line += " --batch " + shell_word(r.batches.front());
  }
  // Beside the queue, not in whatever folder the hook runs in (`/` under cron).
  std::error_code ec;
  return line + " -o " + shell_word((std::filesystem::absolute(r.db, ec).parent_path() / "report.html").string());
}

std::string finish_json(const FinishReport& r) {
  return fmt::format(R"({{"event":"finish","command":{},"exit":{},"succeeded":{},"failed":{},"cancelled":{},"left":{},)"
                     R"("not_drained":[{}],"spent":{},"db":{},"report_command":{},"batches":[{}]}})",
                     json_quote(r.command), r.exit_code, r.succeeded, r.failed, r.cancelled, r.left,
                     not_drained_json(r.ends), json_quote(joined(priced(r.spent), "; ")),
                     r.db.empty() ? "null" : json_quote(r.db), r.db.empty() ? "null" : json_quote(report_command(r)),
                     joined(r.batch_json, ","));
}

std::vector<std::string> finish_variables(const FinishReport& r) {
  return {"REELQ_COMMAND=" + r.command,
          fmt::format("REELQ_EXIT={}", r.exit_code),
          fmt::format("REELQ_DONE={}", r.succeeded),
          fmt::format("REELQ_FAILED={}", r.failed),
          fmt::format("REELQ_CANCELLED={}", r.cancelled),
          fmt::format("REELQ_LEFT={}", r.left),
          "REELQ_NOT_DRAINED=" + not_drained_words(r.ends),
          "REELQ_SPENT=" + joined(priced(r.spent), "; "),
          "REELQ_DB=" + r.db,
          "REELQ_BATCHES=" + joined(r.batches, " "),
          "REELQ_FILES=" + joined(r.output_dirs, "; "),
          "REELQ_REPORT_COMMAND=" + report_command(r)};
}

std::vector<std::string> hook_environment(char* const* environ, const std::vector<std::string>& secrets,
                                          const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char* const* e = environ; e && *e; ++e) {
    std::string_view var(*e);
    std::string_view name = var.substr(0, var.find('='));
    std::string_view value = var.substr(std::min(var.size(), name.size() + 1));
    // REELQ_NOTIFY holds a webhook's URL, whose path or password is its secret, even when --notify
    // named another (the one in use is among `secrets`): the hook is told the summary, not how to post.
    bool secret = name == "APIXO_API_KEY" || name == "REELQ_NOTIFY" ||
                  std::any_of(secrets.begin(), secrets.end(), [&](const std::string& held) {
                    return !held.empty() && value.find(held) != std::string_view::npos;
                  });
    // The variables this run sets replace any of the same name (an outer reelq's hook).
    bool ours = std::any_of(extra.begin(), extra.end(), [&](const std::string& x) {
      return x.size() > name.size() && x.starts_with(name) && x[name.size()] == '=';
    });
    if (!secret && !ours) {
      env.emplace_back(var);
    }
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

}  // namespace reelq
