#include "cli/finish_report.h"

#include <fmt/format.h>

#include <algorithm>

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

}  // namespace

std::string report_command(const FinishReport& r) {
  if (r.db.empty()) {
    return "";
  }
  std::string line = reelq_line("report --db ") + shell_word(r.db);
  if (r.batches.size() == 1) {
    line += " --batch " + shell_word(r.batches.front());
  }
  return line + " -o report.html";
}

std::string finish_json(const FinishReport& r) {
  return fmt::format(R"({{"event":"finish","command":{},"exit":{},"succeeded":{},"failed":{},"cancelled":{},"left":{},)"
                     R"("spent":{},"db":{},"report_command":{},"batches":[{}]}})",
                     json_quote(r.command), r.exit_code, r.succeeded, r.failed, r.cancelled, r.left,
                     json_quote(joined(priced(r.spent), "; ")), r.db.empty() ? "null" : json_quote(r.db),
                     r.db.empty() ? "null" : json_quote(report_command(r)), joined(r.batch_json, ","));
}

std::vector<std::string> finish_variables(const FinishReport& r) {
  return {"REELQ_COMMAND=" + r.command,
          fmt::format("REELQ_EXIT={}", r.exit_code),
          fmt::format("REELQ_DONE={}", r.succeeded),
          fmt::format("REELQ_FAILED={}", r.failed),
          fmt::format("REELQ_CANCELLED={}", r.cancelled),
          fmt::format("REELQ_LEFT={}", r.left),
          "REELQ_SPENT=" + joined(priced(r.spent), "; "),
          "REELQ_DB=" + r.db,
          "REELQ_BATCHES=" + joined(r.batches, " "),
          "REELQ_FILES=" + joined(r.output_dirs, "; "),
          "REELQ_REPORT_COMMAND=" + report_command(r)};
}

std::vector<std::string> hook_environment(char* const* environ, const std::vector<std::string>& keys,
                                          const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char* const* e = environ; e && *e; ++e) {
    std::string_view var(*e);
    std::string_view name = var.substr(0, var.find('='));
    std::string_view value = var.substr(std::min(var.size(), name.size() + 1));
    bool secret = name == "APIXO_API_KEY" || std::any_of(keys.begin(), keys.end(), [&](const std::string& key) {
                    return !key.empty() && value.find(key) != std::string_view::npos;
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
