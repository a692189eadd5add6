#include "report/json_report.h"

#include <fmt/format.h>

#include <map>
#include <ostream>

#include "util/json_strings.h"
#include "util/text.h"
#include "util/time_text.h"

namespace reelq {

namespace {

std::string str_or_null(const std::string& s) {
  return s.empty() ? "null" : json_quote(s);
}

std::string time_or_null(std::optional<TimeMs> at) {
  return at && *at > 0 ? json_quote(iso_utc(*at)) : "null";
}

std::string file_json(const ReportFile& f) {
  return fmt::format(R"({{"index":{},"url":{},"file":{},"bytes":{},"sha256":{},"last_error":{}}})", f.idx,
                     json_quote(f.url), str_or_null(f.path), f.path.empty() ? "null" : std::to_string(f.bytes),
                     str_or_null(f.path.empty() ? "" : f.sha256), str_or_null(f.last_error));
}

std::string event_json(const ReportEvent& e) {
  return fmt::format(R"({{"at":{},"endpoint":{},"http_status":{},"body_code":{},"message":{},"task_id":{},)"
                     R"("outcome":{}}})",
                     json_quote(iso_utc(e.at)), json_quote(e.endpoint),
                     e.http_status ? std::to_string(e.http_status) : "null",
                     e.body_code ? std::to_string(*e.body_code) : "null", str_or_null(e.message),
                     str_or_null(e.task_id), json_quote(e.outcome));
}

std::string row_json(const ReportRow& r) {
  auto secs = r.render_seconds();
  std::string files;
  for (const auto& f : r.files) {
    files += (files.empty() ? "" : ",") + file_json(f);
  }
  std::string events;
  for (const auto& e : r.events) {
    events += (events.empty() ? "" : ",") + event_json(e);
  }
  return fmt::format(
      R"({{"job_id":{},"take":{},"takes":{},"mode":{},"duration":{},"size":{},"resolution":{},"prompt":{},)"
      R"("images":{},"state":"{}","task_id":{},"fail_code":{},"fail_msg":{},"attempts":{},"submitted_at":{},)"
      R"("completed_at":{},"render_seconds":{},"result_urls":{},"files":[{}],"note":{},"events":[{}]}})",
      json_quote(r.job_id), r.take, r.takes, str_or_null(r.mode), r.duration ? std::to_string(r.duration) : "null",
      str_or_null(r.size), str_or_null(r.resolution), json_quote(r.prompt), json_string_array(r.images),
      to_string(r.state), str_or_null(r.task_id), str_or_null(r.fail_code), str_or_null(r.fail_msg), r.attempts,
      time_or_null(r.submitted_at), time_or_null(r.completed_at), secs ? fmt::format("{:.3f}", *secs) : "null",
      json_string_array(r.result_urls), files, str_or_null(r.note), events);
}

// Row by row into `out`: a batch of 100,000 takes is never one string in memory.
void write_batch_json(const BatchReport& b, std::ostream& out) {
  std::map<std::string, int> counts;
  for (JobState s : k_all_states) {
    counts[std::string(to_string(s))] = 0;
  }
  for (const auto& r : b.rows) {
    ++counts[std::string(to_string(r.state))];
  }
  std::string states;
  for (const auto& [name, n] : counts) {
    states += fmt::format("{}\"{}\":{}", states.empty() ? "" : ",", name, n);
  }
  std::string spend = "null";
  if (b.spend) {
    const Spend& s = *b.spend;
    spend = fmt::format(R"({{"tasks_created":{},"cost":{:.2f},"possible_duplicate_charges":{},)"
                        R"("possible_cost":{:.2f},"unpriced":{},"currency":{},"rendered":{},"rendered_cost":{:.2f},)"
                        R"("failed":{},"failed_cost":{:.2f},"not_ended":{},"not_ended_cost":{:.2f}}})",
                        s.tasks, s.cost, s.possible, s.possible_cost, s.unpriced, json_quote(b.currency), s.rendered,
                        s.rendered_cost, s.failed, s.failed_cost, s.not_ended, s.not_ended_cost);
  }
  std::string by_key;
  for (const auto& [key, s] : b.spend_by_key) {
    by_key += fmt::format(R"({}{}:{{"tasks_created":{},"rendered":{},"rendered_cost":{:.2f},"failed_cost":{:.2f},)"
                          R"("possible_cost":{:.2f},"cost":{:.2f}}})",
                          by_key.empty() ? "" : ",", json_quote(key), s.tasks, s.rendered, s.rendered_cost,
                          s.failed_cost, s.possible_cost, s.cost);
  }
  out << fmt::format(
      R"({{"batch":{},"model":{},"output_dir":{},"manifest":{},"rehearsal":{},"created_at":{},"updated_at":{},)"
      R"("total":{},)"
      R"("states":{{{}}},"spend":{},"spend_by_key":{{{}}},"balance":{},"jobs":[)",
      json_quote(b.name), json_quote(b.model), str_or_null(b.output_dir), str_or_null(b.manifest_path), b.rehearsal,
      time_or_null(b.created_at), time_or_null(b.updated_at), b.rows.size(), states, spend, by_key,
      b.rehearsal ? "null" : balance_json(b.balance));  // a rehearsal's is the simulator's billion
  for (size_t i = 0; i < b.rows.size(); ++i) {
    out << (i ? ",\n    " : "\n    ") << row_json(b.rows[i]);
  }
  out << "]}";
}

}  // namespace

void write_json(const std::vector<BatchReport>& batches, TimeMs generated_at, std::ostream& out) {
  out << fmt::format(R"({{"generated_at":{},"report_version":1,"batches":[)", json_quote(iso_utc(generated_at)));
  for (size_t i = 0; i < batches.size(); ++i) {
    out << (i ? ",\n  " : "\n  ");
    write_batch_json(batches[i], out);
  }
  out << "\n]}\n";
}

}  // namespace reelq
