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

// What is wrong with `path` as a queue database's path (given as `named`: "--db x" or
// "REELQ_DB=x"), or "". Not failures of the disk (exit 70): a path that names a folder or no folder,
// often a relative one given from elsewhere (`export REELQ_DB=jobs/reelq.db`, then a `cd jobs`).
std::string path_problem(const fs::path& path, const std::string& raw, bool from_env, const fs::path& cwd) {
  std::error_code ec;
  const fs::path folder = path.parent_path();
  std::string what;
  if (fs::is_directory(path, ec)) {
    what = fmt::format("is a folder; give the database file's path, e.g. {}/reelq.db", path.string());
  } else if (fs::exists(folder, ec) && !fs::is_directory(folder, ec)) {
    what = fmt::format("is in no folder: {} is a file", folder.string());
  } else if (!fs::is_directory(folder, ec)) {
    what = fmt::format("is in no folder: {} does not exist{}. Give its whole path, e.g. {}=/path/to/reelq.db",
                       folder.string(),
                       fs::path(raw).is_relative() ? fmt::format(" (taken from the current folder, {})", cwd.string())
                                                   : "",
                       from_env ? "REELQ_DB" : "--db");
  }
  return what.empty() ? what
                      : fmt::format("the queue database {} ({}{}) {}", path.string(), from_env ? "REELQ_DB=" : "--db ",
                                    shell_word(raw), what);
}

std::optional<Result<DbLocation>> given(const std::string& flag, const fs::path& cwd) {
  const char* env = std::getenv("REELQ_DB");
  if (flag.empty() && !(env && *env)) {
    return std::nullopt;
  }
  const std::string raw = flag.empty() ? env : flag;
  DbLocation at{absolute_from(cwd, raw), flag.empty() ? DbSource::environment : DbSource::flag};
  if (std::string problem = path_problem(at.path, raw, flag.empty(), cwd); !problem.empty()) {
    return Result<DbLocation>(Error{ErrorKind::usage, problem});
  }
  return Result<DbLocation>(at);
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

// A batch the queue beside its manifest holds is not started afresh in another queue: its takes
// would all be rendered and paid for again (a trial renamed the output folder, whose claim is what
// catches the same mistake otherwise, then ran with a stale REELQ_DB).
Status refuse_second_queue(const fs::path& given_db, const fs::path& beside, const std::string& batch,
                           DbSource source) {
  std::error_code ec;
  if (fs::weakly_canonical(given_db, ec) == beside || !fs::is_regular_file(beside, ec) ||
      !database_holds_batch(beside, batch) || database_holds_batch(given_db, batch)) {
    return ok_status();
  }
  return Error{ErrorKind::usage,
               fmt::format("batch {} is in the queue beside its manifest, {}; the queue this command was given ({}: "
                           "{}) does not hold it, and running it there would render and pay for every take again. "
                           "Nothing was sent. Use that queue (--db {}), or give the batch a new name in the manifest "
                           "to render it afresh",
                           batch, beside.string(), source == DbSource::flag ? "--db" : "REELQ_DB", given_db.string(),
                           shell_word(beside.string()))};
}

}  // namespace

Result<DbLocation> db_for_manifest(const std::string& flag, const fs::path& manifest, const std::string& batch,
                                   const fs::path& cwd) {
  std::error_code ec;
  // Beside the manifest's own file, links resolved: a manifest linked in from another folder has its
  // queue (and its output folder, settings.h) where the file it links to is.
  fs::path file = absolute_from(cwd, manifest);
  fs::path canonical = fs::weakly_canonical(file, ec);
  fs::path beside = (ec ? file : canonical).parent_path() / k_default_db_name;
  if (auto g = given(flag, cwd)) {
    if (!*g) {
      return *g;
    }
    if (auto st = refuse_second_queue((*g)->path, beside, batch, (*g)->source); !st) {
      return st.error();
    }
    return *g;
  }
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
