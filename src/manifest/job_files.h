#pragma once
// jobs_from: job lists kept beside the manifest, as spreadsheets and batch tools write them: CSV
// with a header row (.csv, any other name), TSV (.tsv) and JSONL, one JSON object a line (.jsonl,
// .ndjson). Each row becomes a job mapping with the places of its values in that file, so it goes
// through the same schema and job checks as a job written under jobs: (docs/manifest.md).
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "manifest/yaml_tree.h"
#include "util/diagnostic.h"

namespace reelq {

// The columns a CSV or TSV job list may have (a header is matched ignoring case and spaces).
const std::vector<std::string>& job_list_columns();

// The largest job list file reelq reads (as for a manifest).
inline constexpr std::uintmax_t k_max_job_list_bytes = std::uintmax_t{64} << 20;

enum class JobListFormat { csv, tsv, jsonl };

struct JobList {
  std::string entry;    // as jobs_from: names it, relative to the manifest
  std::string display;  // how errors name it: the manifest's own name's folder + entry
  JobListFormat format = JobListFormat::csv;
  std::vector<YamlNode> jobs;
};

// Reads the jobs_from: entry `entry` (a scalar of the manifest, where problems opening the file
// are reported). A row without an id gets `<file stem>-<row number>` (rows counted from 1 after
// the header, blank lines and rows of separators only not counted), so ids stay put when rows are
// added at the end.
JobList read_job_list(const YamlNode& entry, const std::string& manifest_display, const std::filesystem::path& base_dir,
                      Diagnostics& errors);

// The format by the file's extension (case ignored): .tsv, .jsonl / .ndjson, else CSV.
JobListFormat job_list_format(const std::filesystem::path& path);

// Whether `path` names a job list rather than a manifest, by its extension (.csv, .tsv, .jsonl,
// .ndjson): `reelq validate shots.csv` explains what a manifest is instead of parsing it as YAML.
bool looks_like_job_list(const std::filesystem::path& path);

// Parses a job list's text (the file is named `display` in messages; `stem` makes the ids).
std::vector<YamlNode> parse_job_list(std::string_view text, JobListFormat format, const std::string& display,
                                     const std::string& stem, Diagnostics& errors);

}  // namespace reelq
