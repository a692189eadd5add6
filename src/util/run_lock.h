#pragma once
// One runner per database: an exclusive flock on DB.lock, which holds the owner's pid for the
// message. The kernel drops the lock when its process dies, so a lock left by a crashed or killed
// runner is simply taken over.
#include <string>

#include "util/result.h"

namespace reelq {

class RunLock {
 public:
  // Takes the lock for `db_path` or says who holds it (ErrorKind::busy).
  static Result<RunLock> acquire(const std::string& db_path);
  RunLock(RunLock&& other) noexcept;
  RunLock& operator=(RunLock&&) = delete;
  ~RunLock();

 private:
  explicit RunLock(int fd) : m_fd(fd) {}
  int m_fd = -1;
};

}  // namespace reelq
