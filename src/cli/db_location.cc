#include "cli/db_location.h"

#include <fmt/format.h>

#include <cstdlib>
#include <set>

#include "fetch/folder_claim.h"
#include "queue/database.h"

namespace reelq {

namespace fs = std::filesystem;

namespace {

fs::path absolute_from(const fs::path& cwd, const fs::path& p) {
  return (p.is_absolute() ? p : cwd / p).lexically_normal();
}

std::optional<DbLocation> given(const std::string& flag, const fs::path& cwd) {
  if (!flag.empty()) {
    return DbLocation{absolute_from(cwd, flag), DbSource::flag};
  }
  if (const char* env = std::getenv("REELQ_DB"); env && *env) {
    return DbLocation{absolute_from(cwd, env), DbSource::environment};
  }
  return std::nullopt;
}

// The database an output folder's claims name, when they name exactly one that exists.
std::optional<fs::path> claimed_db(const fs::path& dir) {
  std::set<std::string> dbs;
  std::error_code ec;
  for (const auto& c : read_claims(dir)) {
    if (fs::exists(c.db_path, ec)) {
      dbs.insert(c.db_path);
    }
  }
  return dbs.size() == 1 ? std::optional<fs::path>(*dbs.begin()) : std::nullopt;
}

}  // namespace

Result<DbLocation> db_for_manifest(const std::string& flag, const fs::path& manifest, const std::string& batch,
                                   const fs::path& cwd) {
  if (auto g = given(flag, cwd)) {
    return *g;
  }
  std::error_code ec;
  fs::path folder = absolute_from(cwd, manifest).parent_path();
  fs::path canonical = fs::weakly_canonical(folder, ec);
  fs::path beside = (ec ? folder : canonical) / k_default_db_name;
  fs::path legacy = absolute_from(cwd, k_default_db_name);
  if (legacy != beside && !fs::exists(beside, ec) && database_holds_batch(legacy, batch)) {
    return Error{ErrorKind::usage,
                 fmt::format("reelq.db in the current folder already holds batch {} (older reelq kept the queue "
                             "where it was started; it now lives beside the manifest, at {}). Nothing was sent. "
                             "Continue with that queue: add --db {} (or move it to {}).",
                             batch, beside.string(), shell_word(legacy.string()), shell_word(beside.string()))};
  }
  return DbLocation{beside, DbSource::beside_manifest};
}

Result<DbLocation> db_without_manifest(const std::string& flag, const fs::path& cwd) {
  if (auto g = given(flag, cwd)) {
    return *g;
  }
  std::error_code ec;
  fs::path here = fs::absolute(cwd).lexically_normal();
  for (fs::path dir = here; !dir.empty(); dir = dir.parent_path()) {
    if (auto db = claimed_db(dir)) {
      return DbLocation{*db, DbSource::found};
    }
    if (fs::is_regular_file(dir / k_default_db_name, ec)) {
      return DbLocation{dir / k_default_db_name, DbSource::found};
    }
    if (dir == dir.root_path()) {
      break;
    }
  }
  return Error{ErrorKind::usage,
               fmt::format("no queue database found: none given (--db PATH or REELQ_DB), and no reelq.db nor "
                           "output folder of reelq's in {} or the folders above it. run and enqueue keep the "
                           "queue beside the manifest (MANIFEST_FOLDER/reelq.db): pass --db with that path",
                           here.string())};
}

}  // namespace reelq
