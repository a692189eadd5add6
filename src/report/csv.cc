#include "report/csv.h"

#include <fmt/format.h>

#include <ostream>

#include "util/time_text.h"

namespace reelq {

namespace {

std::string time_or_empty(TimeMs at) {
  return at > 0 ? iso_utc(at) : "";
}

// Several values in one cell (images, files of a multi-file result): space-separated, since
// neither URLs nor reelq's file names contain spaces.
template <class T, class F>
std::string joined(const std::vector<T>& items, F field) {
  std::string out;
  for (const auto& item : items) {
    std::string v = field(item);
    if (!v.empty()) {
      out += (out.empty() ? "" : " ") + v;
    }
  }
  return out;
}

std::vector<std::string> fields_of(const ReportRow& r) {
  auto secs = r.render_seconds();
  return {
      r.batch,
      r.job_id,
      std::to_string(r.take),
      r.mode,
      r.duration ? std::to_string(r.duration) : "",
      r.size,
      r.resolution,
      r.prompt,
      joined(r.images, [](const std::string& s) { return s; }),
      std::string(to_string(r.state)),
      r.task_id,
      r.fail_code,
      r.fail_msg,
      std::to_string(r.attempts),
      time_or_empty(r.submitted_at),
      time_or_empty(r.completed_at),
      secs ? fmt::format("{:.1f}", *secs) : "",
      joined(r.result_urls, [](const std::string& s) { return s; }),
      joined(r.files, [](const ReportFile& f) { return f.path; }),
      joined(r.files, [](const ReportFile& f) { return f.path.empty() ? "" : std::to_string(f.bytes); }),
      joined(r.files, [](const ReportFile& f) { return f.path.empty() ? "" : f.sha256; }),
      r.note,
  };
}

void write_record(const std::vector<std::string>& fields, std::ostream& out) {
  for (size_t i = 0; i < fields.size(); ++i) {
    out << (i ? "," : "") << csv_field(fields[i]);
  }
  out << "\r\n";
}

}  // namespace

const std::vector<std::string_view>& csv_columns() {
  static const std::vector<std::string_view> k_columns = {
      "batch",          "job_id",     "take",    "mode",      "duration", "size",     "resolution",   "prompt",
      "images",         "state",      "task_id", "fail_code", "fail_msg", "attempts", "submitted_at", "completed_at",
      "render_seconds", "result_url", "file",    "bytes",     "sha256",   "note"};
  return k_columns;
}

std::string csv_field(std::string_view value) {
  if (value.find_first_of(",\"\r\n") == std::string_view::npos) {
    return std::string(value);
  }
  std::string out = "\"";
  for (char c : value) {
    out += c == '"' ? "\"\"" : std::string(1, c);
  }
  return out + "\"";
}

void write_csv(const std::vector<BatchReport>& batches, std::ostream& out) {
  write_record({csv_columns().begin(), csv_columns().end()}, out);
  for (const auto& b : batches) {
    for (const auto& r : b.rows) {
      write_record(fields_of(r), out);
    }
  }
}

}  // namespace reelq
