#pragma once
// One runner per database: an exclusive flock on DB.lock, which holds the owner's pid for the
// message. The kernel drops the lock when its process dies, so a lock left by a crashed or killed
// runner is simply taken over.
#include <optional>
#include <string>

#include "util/result.h"

namespace reelq {

class RunLock {
 public:
  // Takes the lock for `db_path` or says who holds it (ErrorKind::busy).
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
