#include "cli/job_origins.h"

namespace reelq {

std::map<std::string, JobOrigin> job_origins(const Manifest& m, const std::filesystem::path& manifest_path) {
  std::map<std::string, JobOrigin> out;
  for (const JobSpec& spec : m.jobs) {
    out[spec.id] = {job_file(spec, manifest_path).string(), job_place(spec, manifest_path), !spec.source_file.empty()};
  }
  return out;
}

std::map<std::string, JobOrigin> read_job_origins(const std::filesystem::path& manifest_path) {
  if (manifest_path.empty()) {
    return {};
  }
  auto m = load_manifest(manifest_path);
  return m ? job_origins(m.value(), manifest_path) : std::map<std::string, JobOrigin>{};
}

}  // namespace reelq
