#include "queue/input_match.h"

#include <Poco/JSON/Parser.h>

#include <filesystem>

#include "util/file_digest.h"

namespace reelq {

namespace fs = std::filesystem;

bool same_local_image(const std::string& stored_uri, const std::string& now_uri) {
  constexpr std::string_view k_file = "file://";
  if (!stored_uri.starts_with(k_file) || !now_uri.starts_with(k_file)) {
    return stored_uri == now_uri;
  }
  fs::path a = stored_uri.substr(k_file.size());
  fs::path b = now_uri.substr(k_file.size());
  std::error_code ec_a;
  std::error_code ec_b;
  if (fs::weakly_canonical(a, ec_a) == fs::weakly_canonical(b, ec_b) && !ec_a && !ec_b) {
    return true;
  }
  // A file that cannot be read has no content to compare: only its path could have said "same".
  std::string sha = file_sha256(a);
  return !sha.empty() && sha == file_sha256(b);
}

bool same_input(const std::string& stored, const std::string& now) {
  if (stored == now) {
    return true;
  }
  try {
    Poco::JSON::Parser parser;
    auto a = parser.parse(stored).extract<Poco::JSON::Object::Ptr>();
    parser.reset();
    auto b = parser.parse(now).extract<Poco::JSON::Object::Ptr>();
    if (a->size() != b->size()) {
      return false;
    }
    for (const auto& [key, value] : *a) {
      if (!b->has(key)) {
        return false;
      }
      if (key != "image_urls") {
        if (value.toString() != b->get(key).toString()) {
          return false;
        }
        continue;
      }
      auto x = a->getArray(key);
      auto y = b->getArray(key);
      if (!x || !y || x->size() != y->size()) {
        return false;
      }
      for (unsigned i = 0; i < x->size(); ++i) {
        if (!same_local_image(x->getElement<std::string>(i), y->getElement<std::string>(i))) {
          return false;
        }
      }
    }
    return true;
  } catch (const Poco::Exception&) {
    return false;  // written by enqueue from a validated manifest; unreadable is not "the same"
  }
}

}  // namespace reelq
