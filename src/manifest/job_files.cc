#include "manifest/job_files.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "manifest/csv_reader.h"
#include "manifest/json_line.h"
#include "manifest/side_file.h"
#include "util/text.h"

namespace reelq {

namespace fs = std::filesystem;

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string trimmed(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  size_t e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// `<stem>-<number>`, made to fit the id pattern: other characters become '-', and the stem is
// cut so the id stays within 64 characters.
std::string row_id(const std::string& stem, int number) {
  std::string id;
  for (char c : stem.substr(0, 48)) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    id += ok ? c : '-';
  }
  if (id.empty() || id[0] == '.') {
    id = "row" + id;
  }
  return fmt::format("{}-{}", id, number);
}

void add_row_id(YamlNode& job, const std::string& stem, int number) {
  if (!job.find("id")) {
    job.entries.push_back({"id", job.pos, YamlNode{YamlKind::scalar, job.pos, row_id(stem, number), false, {}, {}}});
  }
}

// The header's column names, "" where a column is unknown or repeated (each reported once).
std::vector<std::string> column_names(const std::vector<CsvField>& header, const std::string& display,
                                      Diagnostics& errors) {
  const auto& known = job_list_columns();
  std::vector<std::string> names;
  std::set<std::string> seen;
  for (const auto& h : header) {
    std::string name = lower(trimmed(h.text));
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      std::string near = nearest_word(name, known);
      std::string list;
      for (const auto& k : known) {
        list += (list.empty() ? "" : ", ") + k;
      }
      errors.push_back({display, h.pos,
                        near.empty() ? fmt::format("unknown column '{}'; job lists have the columns {}", h.text, list)
                                     : fmt::format("unknown column '{}'; did you mean '{}'?", h.text, near)});
      name.clear();
    } else if (!seen.insert(name).second) {
      errors.push_back({display, h.pos, fmt::format("column '{}' appears twice", name)});
      name.clear();
    }
    names.push_back(name);
  }
  return names;
}

// A field as a plain scalar: a spreadsheet cell has no quoting of its own, so "8" is the number 8
// and text is text, as an unquoted YAML value reads.
YamlNode cell(const std::string& text, SourcePos pos) {
  return {YamlKind::scalar, pos, text, true, {}, {}};
}

// An unquoted cell's text without the spaces and tabs around it, as an unquoted YAML value reads
// (" 8 " is 8), placed where the text starts. The prompt is kept as written: it is the request the
// API renders and the queue compares to know a job, so trimming it would make rows enqueued
// before count as changed. A quoted cell is kept exactly.
CsvField trimmed_cell(const std::string& column, const CsvField& f) {
  if (f.quoted || column == "prompt") {
    return f;
  }
  size_t lead = f.text.find_first_not_of(" \t");
  if (lead == std::string::npos) {
    return {"", f.pos, false};
  }
  return {trimmed(f.text), {f.pos.line, f.pos.col + static_cast<int>(lead)}, false};
}

// The images column: entries separated by '|', each trimmed as a cell is unless the cell was quoted.
YamlNode image_list(const CsvField& f) {
  YamlNode value{YamlKind::sequence, f.pos, "", false, {}, {}};
  size_t start = 0;
  for (size_t bar = f.text.find('|');; bar = f.text.find('|', start)) {
    std::string entry = f.text.substr(start, bar - start);
    value.items.push_back(cell(f.quoted ? entry : trimmed(entry), f.pos));
    if (bar == std::string::npos) {
      break;
    }
    start = bar + 1;
  }
  return value;
}

std::vector<YamlNode> table_jobs(std::string_view text, char delimiter, const std::string& display,
                                 const std::string& stem, Diagnostics& errors) {
  CsvTable table = parse_csv(text, delimiter, display, errors);
  std::vector<std::string> names = column_names(table.header, display, errors);
  std::vector<YamlNode> jobs;
  for (const auto& record : table.records) {
    YamlNode job{YamlKind::mapping, record.fields[0].pos, "", false, {}, {}};
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i].empty()) {
        continue;
      }
      CsvField f = trimmed_cell(names[i], record.fields[i]);
      if (f.text.empty()) {
        continue;  // an empty cell leaves the field to defaults:
      }
      YamlNode value = names[i] == "images" ? image_list(f) : cell(f.text, f.pos);
      job.entries.push_back({names[i], f.pos, std::move(value)});
    }
    add_row_id(job, stem, record.number);
    jobs.push_back(std::move(job));
  }
  return jobs;
}

std::vector<YamlNode> jsonl_jobs(std::string_view text, const std::string& display, const std::string& stem,
                                 Diagnostics& errors) {
  if (text.starts_with("\xEF\xBB\xBF")) {
    text.remove_prefix(3);
  }
  std::vector<YamlNode> jobs;
  int line_no = 0;
  int number = 0;
  for (size_t start = 0; start < text.size();) {
    size_t end = std::min(text.find('\n', start), text.size());
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_no;
    if (line.ends_with('\r')) {
      line.remove_suffix(1);
    }
    if (line.find_first_not_of(" \t") == std::string_view::npos) {
      continue;
    }
    ++number;
    auto job = parse_json_line(line, line_no, display, errors);
    if (!job) {
      continue;
    }
    if (job->kind != YamlKind::mapping) {
      errors.push_back({display, job->pos, "each line of a JSONL job list must be one JSON object (one job)"});
      continue;
    }
    add_row_id(*job, stem, number);
    jobs.push_back(std::move(*job));
  }
  return jobs;
}

// What makes `text` not a job list reelq reads, said as what to do, or "". Spreadsheets save other
// things under a .csv name: a workbook (a zip), UTF-16 ("Unicode Text"), or a European Excel's ';'.
std::string saved_as_problem(std::string_view text, JobListFormat format) {
  const char* save_as = "save it from the spreadsheet as \"CSV UTF-8 (comma delimited)\"";
  if (text.starts_with("PK\x03\x04")) {
    return fmt::format("this is a spreadsheet workbook (.xlsx or .ods, a zip file), not a text job list: {}",
                       save_as);
  }
  if (text.starts_with("\xFF\xFE") || text.starts_with("\xFE\xFF") ||
      text.substr(0, std::min<size_t>(text.size(), 512)).find('\0') != std::string_view::npos) {
    return fmt::format("this file is UTF-16 (or binary), not UTF-8 text: {}", save_as);
  }
  if (format == JobListFormat::csv) {
    std::string_view header = text.substr(0, text.find('\n'));
    if (header.find(',') == std::string_view::npos && header.find(';') != std::string_view::npos &&
        lower(std::string(header)).find("prompt") != std::string::npos) {
      return fmt::format("the header row is separated by ';', not ',': {} (or with a comma as the list "
                         "separator)",
                         save_as);
    }
  }
  return "";
}

}  // namespace

const std::vector<std::string>& job_list_columns() {
  static const std::vector<std::string> k_columns = {"id",   "prompt",     "prompt_file", "mode", "duration",
                                                     "size", "resolution", "images",      "takes"};
  return k_columns;
}

JobListFormat job_list_format(const fs::path& path) {
  std::string ext = lower(path.extension().string());
  if (ext == ".tsv") {
    return JobListFormat::tsv;
  }
  if (ext == ".jsonl" || ext == ".ndjson") {
    return JobListFormat::jsonl;
  }
  return JobListFormat::csv;
}

bool looks_like_job_list(const fs::path& path) {
  std::string ext = lower(path.extension().string());
  return ext == ".csv" || ext == ".tsv" || ext == ".jsonl" || ext == ".ndjson";
}

std::vector<YamlNode> parse_job_list(std::string_view text, JobListFormat format, const std::string& display,
                                     const std::string& stem, Diagnostics& errors) {
  if (std::string problem = saved_as_problem(text, format); !problem.empty()) {
    errors.push_back({display, {1, 1}, problem});
    return {};
  }
  if (format == JobListFormat::jsonl) {
    return jsonl_jobs(text, display, stem, errors);
  }
  return table_jobs(text, format == JobListFormat::tsv ? '\t' : ',', display, stem, errors);
}

JobList read_job_list(const YamlNode& entry, const std::string& manifest_display, const fs::path& base_dir,
                      Diagnostics& errors) {
  JobList list;
  list.entry = entry.text;
  list.display = (fs::path(manifest_display).parent_path() / entry.text).string();
  list.format = job_list_format(entry.text);
  SideFile file = read_side_file(entry.text, base_dir, k_max_job_list_bytes);
  if (!file.problem.empty()) {
    errors.push_back({manifest_display, entry.pos, fmt::format("jobs_from file '{}' {}", entry.text, file.problem)});
    return list;
  }
  size_t before = errors.size();
  list.jobs = parse_job_list(file.text, list.format, list.display, fs::path(entry.text).stem().string(), errors);
  if (list.jobs.empty() && errors.size() == before) {
    errors.push_back({list.display, {1, 1}, "job list has no jobs (a CSV needs a header row and a row per job)"});
  }
  return list;
}

}  // namespace reelq
