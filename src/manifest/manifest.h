#pragma once
// A validated batch manifest: what `reelq validate` checks and `reelq enqueue` stores.
// The format is documented in docs/manifest.md and schemas/manifest.schema.json.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "util/diagnostic.h"
#include "util/result.h"

namespace reelq {

enum class Mode { text_to_video, image_to_video };
std::string_view to_string(Mode mode);

// One job of the manifest with defaults applied; each of its `takes` becomes one queue row.
struct JobSpec {
  std::string id;
  Mode mode = Mode::text_to_video;
  std::string prompt;
  int duration = 8;
  std::string size;        // text-to-video only
  std::string resolution;  // image-to-video only
  // As the API takes them: http(s) URLs as written; local files as absolute file:// URIs, to be
  // served to the API by reelq when submitted.
  std::vector<std::string> images;
  int takes = 1;
  SourcePos pos;            // where the job starts: in the manifest, or in source_file
  std::string source_file;  // the jobs_from: file it was read from, as written there; "" for jobs:
};

// The file `spec` is written in: the manifest at `manifest_path`, or the jobs_from: list beside it
// that the job is a row of.
std::filesystem::path job_file(const JobSpec& spec, const std::filesystem::path& manifest_path);
// "FILE:LINE:COL" where `spec` starts in job_file.
std::string job_place(const JobSpec& spec, const std::filesystem::path& manifest_path);

struct Manifest {
  std::string batch;
  std::string model = "sora-2-pro";
  std::string settings_json = "{}";  // the `settings:` block as JSON, applied by apply_settings_json
  std::vector<JobSpec> jobs;
  int listed_jobs = 0;  // how many of the jobs came from jobs_from: files
  int varied_jobs = 0;  // how many of the jobs vary: made
};

// "12 jobs", or "12 jobs (10 from job lists, 8 made by vary:)": the count validate and estimate
// print before anything runs.
std::string describe_jobs(const Manifest& m);

// The most jobs vary: may make in one manifest unless settings.max_jobs says otherwise.
inline constexpr long long k_default_max_jobs = 1000;

struct ManifestSource {
  std::string display_name;        // how errors name the file
  std::filesystem::path base_dir;  // local image paths are relative to this
};

// Parses and checks a manifest; on failure the Error's message lists every problem, one
// "FILE:LINE:COL: message" per line, and `diags` (when given) receives them one by one.
Result<Manifest> parse_manifest(std::string_view text, const ManifestSource& source, Diagnostics* diags = nullptr);

// The largest manifest file load_manifest reads.
inline constexpr std::uintmax_t k_max_manifest_bytes = std::uintmax_t{64} << 20;

Result<Manifest> load_manifest(const std::filesystem::path& path, Diagnostics* diags = nullptr);

}  // namespace reelq
