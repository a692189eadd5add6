#include "queue/relocate.h"

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <functional>
#include <vector>

#include "queue/database.h"
#include "util/text.h"

namespace reelq {

namespace fs = std::filesystem;

std::optional<std::string> rebased(std::string_view stored, std::string_view from, std::string_view to) {
  if (from.empty() || !stored.starts_with(from)) {
    return std::nullopt;
  }
  std::string_view rest = stored.substr(from.size());
  if (!rest.empty() && rest.front() != '/' && !from.ends_with('/')) {
    return std::nullopt;
  }
  return std::string(to) + std::string(rest);
}

std::string rebased_in_json(const std::string& json, std::string_view lead, std::string_view from,
                            std::string_view to) {
  // A string value as json_quote writes it: the quote, the lead, the escaped folder, then the end of
  // the string or a '/' (a path inside it).
  std::string quoted_from = json_quote(std::string(lead) + std::string(from));
  std::string quoted_to = json_quote(std::string(lead) + std::string(to));
  std::string prefix_from = quoted_from.substr(0, quoted_from.size() - 1);
  std::string prefix_to = quoted_to.substr(0, quoted_to.size() - 1);
  std::string out;
  size_t at = 0;
  for (size_t hit = json.find(prefix_from); hit != std::string::npos; hit = json.find(prefix_from, at)) {
    size_t end = hit + prefix_from.size();
    bool whole = end < json.size() && (json[end] == '"' || json[end] == '/');
    out.append(json, at, hit - at);
    out += whole ? prefix_to : prefix_from;
    at = end;
  }
  out.append(json, at, std::string::npos);
  return out;
}

namespace {

// One text column of every row of `table`, rewritten by `rewrite` where it changes.
int rewrite_column(SQLite::Database& db, const std::string& table, const std::string& key, const std::string& column,
                   const std::function<std::string(const std::string&)>& rewrite) {
  std::vector<std::pair<std::string, std::string>> changes;  // key (as text) -> new value
  SQLite::Statement q(db, "SELECT " + key + ", " + column + " FROM " + table + " WHERE " + column + " IS NOT NULL");
  while (q.executeStep()) {
    std::string before = q.getColumn(1).getString();
    std::string after = rewrite(before);
    if (after != before) {
      changes.emplace_back(q.getColumn(0).getString(), after);
    }
  }
  SQLite::Statement upd(db, "UPDATE " + table + " SET " + column + " = ? WHERE " + key + " = ?");
  for (const auto& [k, value] : changes) {
    upd.bind(1, value);
    upd.bind(2, k);
    upd.exec();
    upd.reset();
  }
  return static_cast<int>(changes.size());
}

// The rewrite itself, inside the caller's transaction.
int rebase_rows(SQLite::Database& db, const std::string& from, const std::string& to) {
  auto path = [&](const std::string& p) { return rebased(p, from, to).value_or(p); };
  auto in_json = [&](const std::string& j) { return rebased_in_json(j, "", from, to); };
  auto images = [&](const std::string& j) { return rebased_in_json(j, "file://", from, to); };
  int rows = rewrite_column(db, "batches", "name", "manifest_path", path);
  rows += rewrite_column(db, "batches", "name", "output_dir", path);
  rows += rewrite_column(db, "batches", "name", "run_flags_json", in_json);
  // files has a two-column key: its rowid names the row.
  rows += rewrite_column(db, "files", "rowid", "dir", path);
  rows += rewrite_column(db, "jobs", "id", "input_json", images);
  return rows;
}

}  // namespace

Result<int> rebase_recorded_paths(SQLite::Database& db, const std::string& from, const std::string& to) {
  try {
    SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
    int rows = rebase_rows(db, from, to);
    tx.commit();
    return rows;
  } catch (const std::exception& e) {
    return storage_error(e);
  }
}

namespace {

constexpr const char* k_path_key = "path";

std::optional<std::string> recorded_path(SQLite::Database& db) {
  SQLite::Statement q(db, "SELECT value FROM database_info WHERE key = ?");
  q.bind(1, k_path_key);
  if (q.executeStep()) {
    return q.getColumn(0).getString();
  }
  return std::nullopt;
}

void record_path(SQLite::Database& db, const std::string& path) {
  SQLite::Statement q(db, "INSERT OR REPLACE INTO database_info (key, value) VALUES (?, ?)");
  q.bind(1, k_path_key);
  q.bind(2, path);
  q.exec();
}

// For a database from before its path was recorded: the folder it was moved from, if a recorded
// path is gone while the same relative path exists in `home` (the database's folder now), and that
// folder holds no file of the database's name (else the database is a copy, or was never there).
std::optional<fs::path> legacy_home(SQLite::Database& db, const fs::path& home, const fs::path& db_name) {
  SQLite::Statement q(db,
                      "SELECT manifest_path FROM batches UNION ALL SELECT output_dir FROM batches WHERE output_dir "
                      "IS NOT NULL UNION ALL SELECT dir FROM files WHERE dir IS NOT NULL");
  std::error_code ec;
  while (q.executeStep()) {
    fs::path p = q.getColumn(0).getString();
    if (!p.is_absolute() || fs::exists(p, ec)) {
      continue;
    }
    for (fs::path up = p.parent_path(); up != up.root_path() && !up.empty(); up = up.parent_path()) {
      if (up == home) {
        break;
      }
      if (fs::exists(home / p.lexically_relative(up), ec) && !fs::exists(up / db_name, ec)) {
        return up;
      }
    }
  }
  return std::nullopt;
}

}  // namespace

Result<std::optional<QueueMove>> follow_queue_move(SQLite::Database& db, const fs::path& db_path) {
  std::error_code ec;
  fs::path now = fs::weakly_canonical(fs::absolute(db_path, ec), ec);
  if (ec || now.empty()) {
    return std::optional<QueueMove>{};  // nowhere to move to: the paths stay as recorded
  }
  try {
    SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
    std::optional<fs::path> from;
    if (auto was = recorded_path(db)) {
      if (*was == now.string()) {
        return std::optional<QueueMove>{};
      }
      // Still there: a copy (its original keeps working where it is), or the same file reached by
      // another path. Either way its paths stay.
      if (fs::exists(*was, ec)) {
        if (fs::equivalent(*was, now, ec)) {
          record_path(db, now.string());
          tx.commit();
        }
        return std::optional<QueueMove>{};
      }
      from = fs::path(*was).parent_path();
    } else {
      from = legacy_home(db, now.parent_path(), now.filename());
    }
    // The new place and the paths that follow the database there, in one transaction: a crash
    // leaves either the old record (and the move is found again) or both.
    record_path(db, now.string());
    int rows = from && *from != now.parent_path() ? rebase_rows(db, from->string(), now.parent_path().string()) : 0;
    tx.commit();
    if (!from || *from == now.parent_path()) {
      return std::optional<QueueMove>{};
    }
    return std::optional<QueueMove>{QueueMove{from->string(), now.parent_path().string(), rows}};
  } catch (const std::exception& e) {
    return storage_error(e);
  }
}

}  // namespace reelq
