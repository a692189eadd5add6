#pragma once
// Local reference images already uploaded by the user (settings.image_base_url): each local path,
// relative to the manifest's folder, is mapped onto the base URL, fetched once and compared by
// SHA-256 with the local file before any job naming it is submitted.
#include <filesystem>
#include <string>
#include <vector>

#include "api/transport.h"
#include "util/file_digest.h"  // file_sha256, which check_image_base compares with

namespace reelq {

struct BaseImageCheck {
  std::string uri;      // file:///absolute/path, as the job's input holds it
  std::string url;      // where the base says it is ("" when it cannot be mapped)
  std::string problem;  // "" when the bytes there are the local file's; else why not, naming the file
};

// The URL of `path` under `base`: its path relative to `manifest_dir`, each segment
// percent-encoded. "" when the file is not inside the manifest's folder.
std::string image_base_url_of(const std::filesystem::path& path, const std::filesystem::path& manifest_dir,
                              const std::string& base);

// One GET per image (at most 10 MB read), compared with the local file's SHA-256.
std::vector<BaseImageCheck> check_image_base(const std::vector<std::string>& file_uris,
                                             const std::filesystem::path& manifest_dir, const std::string& base,
                                             HttpTransport& transport);

}  // namespace reelq
