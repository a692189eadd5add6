#include "queue/manifest_origin.h"

#include <system_error>

namespace reelq {

namespace fs = std::filesystem;

bool same_manifest_file(const std::string& recorded, const fs::path& manifest, const fs::path& queue_dir) {
  fs::path stored(recorded);
  std::error_code ec;
  if (stored.is_relative()) {
    fs::path here = fs::weakly_canonical(fs::absolute(manifest, ec), ec);
    fs::path base = fs::weakly_canonical(fs::absolute(queue_dir, ec), ec);
    if (here.lexically_relative(base).lexically_normal() == stored.lexically_normal()) {
      return true;
    }
    stored = queue_dir / stored;
  }
  if (fs::exists(stored, ec)) {
    return fs::equivalent(stored, manifest, ec);
  }
  // Moved or renamed with its folder: the old path is gone, and a copy has a name of its own.
  return stored.filename() == manifest.filename();
}

}  // namespace reelq
