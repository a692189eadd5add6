#include "listen/image_base.h"

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>
#include <Poco/URI.h>
#include <fmt/format.h>

#include <fstream>

#include "manifest/image_check.h"

namespace reelq {

namespace fs = std::filesystem;

std::string image_base_url_of(const fs::path& path, const fs::path& manifest_dir, const std::string& base) {
  fs::path rel = path.lexically_normal().lexically_relative(manifest_dir.lexically_normal());
  if (rel.empty() || *rel.begin() == "..") {
    return "";
  }
  std::string url = base;
  if (!url.ends_with('/')) {
    url += '/';
  }
  bool first = true;
  for (const auto& part : rel) {
    std::string encoded;
    Poco::URI::encode(part.string(), "!#$&'()*+,/:;=?@[]%", encoded);
    url += (first ? "" : "/") + encoded;
    first = false;
  }
  return url;
}

namespace {

BaseImageCheck check_one(const std::string& uri, const fs::path& manifest_dir, const std::string& base,
                         HttpTransport& transport) {
  fs::path path = uri.substr(7);
  BaseImageCheck c{uri, image_base_url_of(path, manifest_dir, base), ""};
  if (c.url.empty()) {
    c.problem = fmt::format("image {} is not inside the manifest's folder {}, so image_base_url cannot name it",
                            path.string(), manifest_dir.string());
    return c;
  }
  Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
  std::uintmax_t bytes = 0;
  HttpRequest req;
  req.url = c.url;
  HttpResponse r = transport.fetch(req, [&](const char* data, std::size_t n) {
    bytes += n;
    sha.update(data, n);
    return bytes <= k_max_image_bytes;
  });
  if (r.wire != WireOutcome::answered || r.status != 200) {
    c.problem = fmt::format("image {}: {} is unreachable ({})", path.string(), c.url,
                            r.wire == WireOutcome::answered ? fmt::format("HTTP {}", r.status) : r.error);
  } else if (bytes > k_max_image_bytes) {
    c.problem = fmt::format("image {}: {} is larger than 10 MB", path.string(), c.url);
  } else if (Poco::DigestEngine::digestToHex(sha.digest()) != file_sha256(path)) {
    c.problem = fmt::format("image {}: {} holds different bytes (SHA-256 differs); upload the file again",
                            path.string(), c.url);
  }
  return c;
}

}  // namespace

std::vector<BaseImageCheck> check_image_base(const std::vector<std::string>& file_uris, const fs::path& manifest_dir,
                                             const std::string& base, HttpTransport& transport) {
  std::vector<BaseImageCheck> out;
  out.reserve(file_uris.size());
  for (const auto& uri : file_uris) {
    out.push_back(check_one(uri, manifest_dir, base, transport));
  }
  return out;
}

}  // namespace reelq
