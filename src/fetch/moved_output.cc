#include "fetch/moved_output.h"

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <algorithm>
#include <optional>
#include <set>

#include "fetch/folder_claim.h"
#include "queue/database.h"
#include "util/file_digest.h"

namespace reelq {

namespace fs = std::filesystem;

namespace {

// A folder is looked for among this many siblings at most: a parent with more is not where a
// renamed output folder is worth the wait.
constexpr int k_max_siblings = 2000;

bool claims(const fs::path& dir, const std::string& queue_id, const std::string& batch) {
  auto all = read_claims(dir);
  return std::any_of(all.begin(), all.end(),
                     [&](const FolderClaim& c) { return c.queue_id == queue_id && c.batch == batch; });
}

// Where the missing folder `gone` of `batch` is now, if anywhere reelq may look.
std::optional<fs::path> find_claimed_folder(const fs::path& gone, const std::string& queue_id, const std::string& batch,
                                            const fs::path& cwd) {
  std::error_code ec;
  for (fs::path dir = cwd; !dir.empty(); dir = dir.parent_path()) {
    if (claims(dir, queue_id, batch)) {
      return dir;
    }
    if (dir == dir.root_path()) {
      break;
    }
  }
  fs::directory_iterator it(gone.parent_path(), ec);
  int seen = 0;
  for (; !ec && it != fs::directory_iterator() && seen < k_max_siblings; it.increment(ec), ++seen) {
    if (it->is_directory(ec) && !it->is_symlink(ec) && claims(it->path(), queue_id, batch)) {
      return it->path();
    }
  }
  return std::nullopt;
}

struct Missing {
  std::string batch;
  std::string dir;
};

// Each (batch, folder) the queue records that no longer exists.
std::vector<Missing> missing_folders(SQLite::Database& db) {
  std::vector<Missing> out;
  SQLite::Statement q(db,
                      "SELECT name, output_dir FROM batches WHERE output_dir IS NOT NULL UNION "
                      "SELECT DISTINCT j.batch, f.dir FROM files f JOIN jobs j ON j.id = f.job WHERE f.dir IS NOT NULL "
                      "AND f.path IS NOT NULL");
  std::error_code ec;
  while (q.executeStep()) {
    Missing m{q.getColumn(0).getString(), q.getColumn(1).getString()};
    if (fs::path(m.dir).is_absolute() && !fs::exists(m.dir, ec)) {
      out.push_back(std::move(m));
    }
  }
  return out;
}

// Records `m`'s batch in `to`: the output folder if it was `m.dir`, and each of its files found
// there with its recorded SHA-256. Returns the files recognised.
int record_moved(SQLite::Database& db, const Missing& m, const fs::path& to) {
  SQLite::Statement files(db,
                          "SELECT f.rowid, f.path, coalesce(f.sha256, '') FROM files f JOIN jobs j ON j.id = f.job "
                          "WHERE j.batch = ? AND f.dir = ? AND f.path IS NOT NULL");
  files.bind(1, m.batch);
  files.bind(2, m.dir);
  std::vector<std::int64_t> found;
  while (files.executeStep()) {
    std::string sha = files.getColumn(2).getString();
    if (!sha.empty() && file_sha256(to / files.getColumn(1).getString()) == sha) {
      found.push_back(files.getColumn(0).getInt64());
    }
  }
  SQLite::Statement move_file(db, "UPDATE files SET dir = ? WHERE rowid = ?");
  for (auto row : found) {
    move_file.bind(1, to.string());
    move_file.bind(2, row);
    move_file.exec();
    move_file.reset();
  }
  SQLite::Statement move_dir(db, "UPDATE batches SET output_dir = ? WHERE name = ? AND output_dir = ?");
  move_dir.bind(1, to.string());
  move_dir.bind(2, m.batch);
  move_dir.bind(3, m.dir);
  move_dir.exec();
  return static_cast<int>(found.size());
}

}  // namespace

Result<std::vector<OutputMove>> follow_moved_output_folders(SQLite::Database& db, const fs::path& cwd) {
  std::vector<OutputMove> out;
  try {
    auto gone = missing_folders(db);
    if (gone.empty()) {
      return out;
    }
    auto qid = queue_id(db);
    if (!qid) {
      return qid.error();
    }
    std::error_code ec;
    fs::path here = fs::weakly_canonical(fs::absolute(cwd, ec), ec);
    SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
    for (const auto& m : gone) {
      if (auto to = find_claimed_folder(m.dir, *qid, m.batch, here)) {
        out.push_back({m.batch, m.dir, to->string(), record_moved(db, m, *to)});
      }
    }
    tx.commit();
  } catch (const std::exception& e) {
    return storage_error(e);
  }
  return out;
}

}  // namespace reelq
