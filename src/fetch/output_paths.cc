#include "fetch/output_paths.h"

#include <fmt/format.h>

namespace reelq {

std::string safe_component(const std::string& name) {
  std::string out;
  for (char c : name) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
    out += ok ? c : '_';
  }
  out.erase(0, out.find_first_not_of('.'));
  if (out.size() > 100) {
    out.resize(100);
  }
  return out.empty() ? "_" : out;
}

std::string result_file_name(const std::string& job_id, int take, int url_index) {
  std::string base = safe_component(job_id) + fmt::format("-t{}", take);
  if (url_index > 0) {
    base += fmt::format("-{}", url_index + 1);
  }
  return base + ".mp4";
}

std::string kept_aside_name(const std::string& name, int n) {
  std::filesystem::path p(name);
  return p.stem().string() + fmt::format("~{}", n) + p.extension().string();
}

bool is_inside(const std::filesystem::path& dir, const std::filesystem::path& path) {
  auto d = std::filesystem::absolute(dir).lexically_normal();
  auto p = std::filesystem::absolute(path).lexically_normal();
  auto rel = p.lexically_relative(d);
  return !rel.empty() && *rel.begin() != ".." && rel != ".";
}

}  // namespace reelq
