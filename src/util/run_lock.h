#pragma once
// One runner per database: an exclusive flock on DB.lock, which holds the owner's pid for the
// message. The kernel drops the lock when its process dies, so a lock left by a crashed or killed
// runner is simply taken over. DB is the database file itself, whatever links lead to it: two
// paths to one database (`--db alias.db`, a link to q.db) take one lock.
#include <filesystem>
#include <optional>
#include <string>

#include "util/result.h"

namespace reelq {

// The lock file of the database at `db_path`: beside the file the path resolves to (every link in
// it followed), or beside `db_path` as given when it does not exist yet.
std::filesystem::path run_lock_path(const std::string& db_path);

class RunLock {
 public:
  // Takes the lock for `db_path` or says who holds it (ErrorKind::busy). A lock file that is a
  // symbolic link is refused, never written through (util/safe_file.h).
  static Result<RunLock> acquire(const std::string& db_path);
  // The pid of the process holding the lock for `db_path` now (0 when it did not write one), or
  // nullopt when no one holds it. Creates nothing and takes nothing.
  static std::optional<long> holder(const std::string& db_path);
  RunLock(RunLock&& other) noexcept;
  RunLock& operator=(RunLock&&) = delete;
  ~RunLock();

 private:
  explicit RunLock(int fd) : m_fd(fd) {}
  int m_fd = -1;
};

}  // namespace reelq
