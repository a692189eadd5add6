#include "cli/failed_view.h"

#include <Poco/JSON/Parser.h>
#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>

#include "cli/cli.h"
#include "cli/commands.h"
#include "queue/run_store.h"
#include "util/clock.h"

namespace reelq {

bool names_local_image(const ReportRow& row) {
  return std::any_of(row.images.begin(), row.images.end(),
                     [](const std::string& uri) { return uri.starts_with("file://"); });
}

std::vector<FailedTake> failed_takes(const BatchReport& report, const NextStepsContext& at) {
  std::vector<FailedTake> out;
  for (const ReportRow& row : report.rows) {
    if (row.state != JobState::failed) {
      continue;
    }
    Remedy remedy = remedy_for(row.fail_code, names_local_image(row));
    out.push_back({row.job_id, row.take, row.fail_code, row.fail_msg, take_advice(remedy, row.job_id, at)});
  }
  return out;
}

int served_image_refusals(const BatchReport& report) {
  return static_cast<int>(std::count_if(report.rows.begin(), report.rows.end(), [](const ReportRow& row) {
    return row.state == JobState::failed && row.fail_code == "INVALID_IMAGE_URL" && names_local_image(row);
  }));
}

bool needs_edit(const BatchReport& report) {
  return std::any_of(report.rows.begin(), report.rows.end(), [](const ReportRow& row) {
    return row.state == JobState::failed && remedy_for(row.fail_code, names_local_image(row)) == Remedy::edit_job;
  });
}

void add_edit_places(NextStepsContext& at, const BatchReport& report, const std::map<std::string, JobOrigin>& origins) {
  for (const ReportRow& row : report.rows) {
    if (row.state != JobState::failed || remedy_for(row.fail_code, names_local_image(row)) != Remedy::edit_job) {
      continue;
    }
    auto it = origins.find(row.job_id);
    if (it == origins.end() || !it->second.listed) {
      at.edit_in_manifest = true;  // in the manifest, or no longer in any file: the manifest is where to look
      continue;
    }
    at.listed_at[row.job_id] = it->second.place;
    at.edit_lists.insert(it->second.file);
  }
}

NextStepsContext next_steps_context(SQLite::Database& db, const std::string& batch, const std::string& db_path,
                                    const std::string& public_url, const std::string& manifest_path) {
  NextStepsContext at{manifest_path, db_path, batch, public_url, 0};
  if (auto reports = load_reports(db, batch, WithEvents::no); reports && !reports->empty()) {
    at.served_image_refusals = served_image_refusals(reports->front());
    if (needs_edit(reports->front())) {
      add_edit_places(at, reports->front(), read_job_origins(manifest_path));
    }
  }
  return at;
}

std::string failed_table(const std::vector<FailedTake>& takes) {
  size_t job = 3, code = 4, message = 7;
  for (const auto& t : takes) {
    job = std::max(job, t.job_id.size());
    code = std::max(code, t.code.size());
    message = std::max(message, t.message.size());
  }
  std::string out = fmt::format("{:<{}}  {:>4}  {:<{}}  {:<{}}  {}\n", "JOB", job, "TAKE", "CODE", code, "MESSAGE",
                                message, "WHAT TO TYPE");
  for (const auto& t : takes) {
    out += fmt::format("{:<{}}  {:>4}  {:<{}}  {:<{}}  {}\n", t.job_id, job, t.take, t.code, code, t.message, message,
                       t.advice);
  }
  return out;
}

std::string remembered_public_url(SQLite::Database& db, const std::string& batch) {
  auto info = RunStore(db, system_clock()).batch(batch);
  if (!info) {
    return "";
  }
  try {
    Poco::JSON::Parser parser;
    auto flags = parser.parse(info->run_flags_json).extract<Poco::JSON::Object::Ptr>();
    return flags && flags->has("public_url") ? flags->getValue<std::string>("public_url") : "";
  } catch (const Poco::Exception&) {
    return "";  // unreadable: the advice names --public-url instead of its value
  }
}

Status print_failed(SQLite::Database& db, const std::optional<std::string>& batch, const std::string& db_path,
                    std::ostream& out) {
  auto reports = load_reports(db, batch, WithEvents::no);
  if (!reports) {
    return reports.error();
  }
  bool any = false;
  for (const BatchReport& report : *reports) {
    NextStepsContext at{report.manifest_path, db_path, report.name, remembered_public_url(db, report.name), 0};
    at.rehearsal = report.rehearsal;
    if (needs_edit(report)) {
      add_edit_places(at, report, read_job_origins(report.manifest_path));
    }
    auto takes = failed_takes(report, at);
    if (takes.empty()) {
      continue;
    }
    fmt::print(out, "{}batch {}: {} failed\n{}", any ? "\n" : "", report.name,
               takes.size() == 1 ? std::string("1 take") : fmt::format("{} takes", takes.size()), failed_table(takes));
    any = true;
  }
  if (!any) {
    fmt::print(out, "no failed takes in {}\n", batch ? "batch " + *batch : db_path);
  }
  return ok_status();
}

int cmd_failed(const std::string& db_path, const std::optional<std::string>& batch, CommandIo io) {
  auto queue = open_existing_queue(db_path);
  if (!queue) {
    return report_error(io.err, queue.error());
  }
  if (auto st = print_failed(queue.value()->db(), batch, db_path, io.out); !st) {
    return report_error(io.err, st.error());
  }
  return k_exit_ok;
}

}  // namespace reelq
