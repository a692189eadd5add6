#include "util/file_digest.h"

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

#include <fstream>

namespace reelq {

std::string file_sha256(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return "";
  }
  Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    sha.update(buf, static_cast<std::size_t>(in.gcount()));
  }
  return Poco::DigestEngine::digestToHex(sha.digest());
}

std::string sha256_hex(std::string_view bytes) {
  Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
  sha.update(bytes.data(), bytes.size());
  return Poco::DigestEngine::digestToHex(sha.digest());
}

}  // namespace reelq
