#include "api/key_identity.h"

#include <string_view>

#include "util/file_digest.h"

namespace reelq {

std::string key_fingerprint(const std::string& key) {
  // The prefix keeps the figure apart from any plain SHA-256 of the key another tool may show, so
  // the two cannot be matched; "v1" lets a later scheme coexist with stored fingerprints.
  static constexpr std::string_view k_domain = "reelq key fingerprint v1\n";
  std::string input(k_domain);
  input += key;
  return sha256_hex(input).substr(0, 12);
}

}  // namespace reelq
