#include "api/key_identity.h"

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

namespace reelq {

std::string key_fingerprint(const std::string& key) {
  Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
  sha.update(std::string("reelq key fingerprint v1\n"));
  sha.update(key);
  return Poco::DigestEngine::digestToHex(sha.digest()).substr(0, 12);
}

}  // namespace reelq
