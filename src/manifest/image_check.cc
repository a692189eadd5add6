#include "manifest/image_check.h"

#include <Poco/Exception.h>
#include <Poco/URI.h>
#include <fmt/format.h>

#include <fstream>

namespace reelq {

namespace fs = std::filesystem;

ImageFormat sniff_image_format(std::string_view head) {
  if (head.size() >= 3 && head.substr(0, 3) == "\xFF\xD8\xFF") {
    return ImageFormat::jpeg;
  }
  if (head.size() >= 8 && head.substr(0, 8) == "\x89PNG\r\n\x1A\n") {
    return ImageFormat::png;
  }
  if (head.size() >= 12 && head.substr(0, 4) == "RIFF" && head.substr(8, 4) == "WEBP") {
    return ImageFormat::webp;
  }
  return ImageFormat::unknown;
}

namespace {

ImageCheck check_url(const std::string& entry) {
  try {
    Poco::URI uri(entry);
    if (uri.getHost().empty()) {
      return {entry, fmt::format("image '{}' is a URL without a host", entry)};
    }
    return {entry, ""};
  } catch (const Poco::Exception&) {
    return {entry, fmt::format("image '{}' is not a valid URL", entry)};
  }
}

// Whether `p` lies strictly inside `dir` (both absolute and normal).
bool within(const fs::path& dir, const fs::path& p) {
  fs::path rel = p.lexically_relative(dir);
  return !rel.empty() && *rel.begin() != ".." && rel != ".";
}

// Why a local image may not be used where it is, or "". A manifest may come from someone else,
// and a local image is sent on (served to the API by the listener, or matched against an upload):
// only files inside the manifest's folder, links resolved, as output_dir may only name a folder
// inside it. The file is not opened before this has passed.
std::string outside_problem(const std::string& entry, const fs::path& base_dir, const fs::path& p) {
  std::error_code ec;
  fs::path base = fs::absolute(base_dir, ec).lexically_normal();
  constexpr const char* k_rule =
      "a manifest names local images inside its own folder only (copy the file there, or give an http(s) URL)";
  if (!within(base, p)) {
    return fmt::format("image '{}' is outside the manifest's folder: {}", entry, k_rule);
  }
  fs::path real = fs::weakly_canonical(p, ec);
  fs::path real_base = fs::weakly_canonical(base, ec);
  if (!ec && !within(real_base, real)) {
    return fmt::format("image '{}' is a link to {}, outside the manifest's folder: {}", entry, real.string(), k_rule);
  }
  return "";
}

ImageCheck check_file(const std::string& entry, const fs::path& base_dir) {
  std::error_code ec;
  fs::path p = fs::path(entry).is_absolute() ? fs::path(entry) : fs::absolute(base_dir, ec) / entry;
  p = p.lexically_normal();
  // Named by its folder's canonical path: the same image read through a linked folder is the same
  // file:// URI, and a moved project's images are found under the queue's folder (queue/relocate.h).
  // The file's own name stays, whatever a link there points to.
  fs::path folder = fs::weakly_canonical(p.parent_path(), ec);
  std::string resolved = "file://" + (ec ? p : folder / p.filename()).string();
  if (std::string problem = outside_problem(entry, base_dir, p); !problem.empty()) {
    return {resolved, problem};
  }
  auto status = fs::status(p, ec);
  if (ec || !fs::exists(status)) {
    return {resolved, fmt::format("image '{}' not found", entry)};
  }
  if (!fs::is_regular_file(status)) {
    return {resolved, fmt::format("image '{}' is not a file", entry)};
  }
  auto bytes = fs::file_size(p, ec);
  if (ec) {
    return {resolved, fmt::format("image '{}' cannot be read: {}", entry, ec.message())};
  }
  if (bytes > k_max_image_bytes) {
    return {resolved, fmt::format("image '{}' is {} bytes; the API takes at most 10 MB ({} bytes)", entry, bytes,
                                  k_max_image_bytes)};
  }
  std::ifstream in(p, std::ios::binary);
  char head[12] = {};
  in.read(head, sizeof head);
  if (!in && in.gcount() == 0 && bytes > 0) {
    return {resolved, fmt::format("image '{}' cannot be read", entry)};
  }
  if (sniff_image_format({head, static_cast<size_t>(in.gcount())}) == ImageFormat::unknown) {
    return {resolved, fmt::format("image '{}' is not a JPG, PNG or WebP image (checked by its content)", entry)};
  }
  return {resolved, ""};
}

}  // namespace

ImageCheck check_image(const std::string& entry, const fs::path& base_dir) {
  std::string lower;
  for (char c : entry.substr(0, 8)) {
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (lower.starts_with("http://") || lower.starts_with("https://")) {
    return check_url(entry);
  }
  if (auto colon = entry.find("://"); colon != std::string::npos) {
    return {entry, fmt::format("image '{}' must be an http(s) URL or a local file", entry)};
  }
  return check_file(entry, base_dir);
}

}  // namespace reelq
