#include "manifest/side_file.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace reelq {

namespace fs = std::filesystem;

namespace {

// Whether `p` lies strictly inside `dir` (both absolute and normal).
bool within(const fs::path& dir, const fs::path& p) {
  fs::path rel = p.lexically_relative(dir);
  return !rel.empty() && *rel.begin() != ".." && rel != ".";
}

std::string placement_problem(const fs::path& base, const fs::path& p) {
  constexpr const char* k_rule = "a manifest names files inside its own folder only (copy the file there)";
  if (p.lexically_relative(base) == ".") {
    return "is the manifest's own folder, not a file: name a file in it";
  }
  if (!within(base, p)) {
    return fmt::format("is outside the manifest's folder: {}", k_rule);
  }
  std::error_code ec;
  fs::path real = fs::weakly_canonical(p, ec);
  fs::path real_base = fs::weakly_canonical(base, ec);
  if (!ec && !within(real_base, real)) {
    return fmt::format("is a link to {}, outside the manifest's folder: {}", real.string(), k_rule);
  }
  return "";
}

}  // namespace

SideFile read_side_file(const std::string& entry, const fs::path& base_dir, std::uintmax_t max_bytes) {
  std::error_code ec;
  fs::path base = fs::absolute(base_dir, ec).lexically_normal();
  fs::path p = (fs::path(entry).is_absolute() ? fs::path(entry) : base / entry).lexically_normal();
  if (std::string problem = placement_problem(base, p); !problem.empty()) {
    return {"", problem};
  }
  auto status = fs::status(p, ec);
  if (ec || !fs::exists(status)) {
    return {"", "not found"};
  }
  if (fs::is_directory(status)) {
    return {"", "is a folder, not a file: name a file in it"};
  }
  if (!fs::is_regular_file(status)) {
    return {"", "is not a regular file"};
  }
  auto size = fs::file_size(p, ec);
  if (!ec && size > max_bytes) {
    return {"", fmt::format("is {} bytes; reelq reads at most {} bytes here", size, max_bytes)};
  }
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    return {"", fmt::format("cannot be read: {}", std::strerror(errno))};
  }
  // No more than the cap even so: the file may grow while it is read.
  SideFile out;
  char buf[64 * 1024];
  while (out.text.size() <= max_bytes && (in.read(buf, sizeof buf) || in.gcount() > 0)) {
    out.text.append(buf, static_cast<size_t>(in.gcount()));
  }
  if (out.text.size() > max_bytes) {
    return {"", fmt::format("is over {} bytes; reelq reads at most that here", max_bytes)};
  }
  return out;
}

}  // namespace reelq
