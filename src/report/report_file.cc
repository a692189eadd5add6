#include "report/report_file.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "report/csv.h"
#include "report/html_report.h"
#include "report/json_report.h"
#include "util/safe_file.h"

namespace reelq {

namespace fs = std::filesystem;

std::string_view to_string(ReportFormat format) {
  switch (format) {
    case ReportFormat::csv:
      return "csv";
    case ReportFormat::json:
      return "json";
    case ReportFormat::html:
      return "html";
  }
  return "?";
}

// The format a file's extension names: "csv", "json", "html", or "" for none of them.
std::string format_of_name(const fs::path& output) {
  std::string ext = output.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".html" || ext == ".htm" ? "html" : ext == ".json" ? "json" : ext == ".csv" ? "csv" : "";
}

Result<ReportFormat> parse_report_format(const std::string& format, const fs::path& output) {
  std::string name = format;
  // A file's name must say what it holds: `-o night.txt` silently holding CSV surprised a user, and
  // so would `--format html -o night.csv`, opened by a spreadsheet.
  if (!name.empty() && name != "csv" && name != "json" && name != "html") {
    return Error{ErrorKind::usage, fmt::format("--format must be csv, json or html (got \"{}\")", name)};
  }
  if (std::string named = format_of_name(output); !name.empty() && !named.empty() && named != name) {
    return Error{ErrorKind::usage, fmt::format("--format {} would write {} into {}, whose name says {}: name the file "
                                               ".{} or leave --format out",
                                               name, name, output.string(), named, name)};
  }
  if (name.empty() && !output.empty()) {
    name = format_of_name(output);
    if (name.empty()) {
      return Error{ErrorKind::usage,
                   fmt::format("cannot tell the format of {} from its name: end it in .csv, .json or .html, or "
                               "pass --format csv|json|html",
                               output.string())};
    }
  }
  if (name.empty()) {
    name = "csv";  // standard output
  }
  for (ReportFormat f : {ReportFormat::csv, ReportFormat::json, ReportFormat::html}) {
    if (to_string(f) == name) {
      return f;
    }
  }
  return Error{ErrorKind::usage, fmt::format("--format must be csv, json or html (got \"{}\")", name)};
}

WithEvents events_needed(ReportFormat format) {
  return format == ReportFormat::json ? WithEvents::yes : WithEvents::no;
}

void write_report(const std::vector<BatchReport>& batches, ReportFormat format, TimeMs now, const fs::path& page_dir,
                  std::ostream& out) {
  switch (format) {
    case ReportFormat::csv:
      write_csv(batches, out);
      break;
    case ReportFormat::json:
      write_json(batches, now, out);
      break;
    case ReportFormat::html:
      write_html(batches, HtmlOptions{now, page_dir}, out);
      break;
  }
}

Status write_report_file(const std::vector<BatchReport>& batches, ReportFormat format, TimeMs now,
                         const fs::path& path) {
  fs::path target = fs::absolute(path);
  std::error_code ec;
  // A missing folder or a folder given as the file is the caller's to fix: say so, exit 2.
  if (!fs::is_directory(target.parent_path(), ec)) {
    return Error{ErrorKind::usage, fmt::format("cannot write {}: the folder {} does not exist", path.string(),
                                               target.parent_path().string())};
  }
  if (fs::is_directory(target, ec)) {
    return Error{ErrorKind::usage, fmt::format("cannot write {}: it is a folder; give a file name, e.g. "
                                               "{}/report.html",
                                               path.string(), path.string())};
  }
  fs::path tmp = target.parent_path() / ("." + target.filename().string() + ".tmp");
  // A link under either name is refused, never written through or replaced (util/safe_file.h).
  auto st = replace_file(path, tmp,
                         [&](std::ostream& out) { write_report(batches, format, now, target.parent_path(), out); });
  if (!st) {
    return st;
  }
  return ok_status();
}

}  // namespace reelq
