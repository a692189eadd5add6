#include "util/run_lock.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "util/safe_file.h"

namespace reelq {

std::filesystem::path run_lock_path(const std::string& db_path) {
  // Keyed on the file, not on the string: weakly_canonical follows every link, the last one too,
  // so `alias.db` -> `q.db` locks q.db.lock, and a database not created yet locks beside where
  // it will be.
  std::error_code ec;
  std::filesystem::path real = std::filesystem::weakly_canonical(db_path, ec);
  if (ec || real.empty()) {
    real = std::filesystem::absolute(db_path, ec);
  }
  real += ".lock";
  return real;
}

Result<RunLock> RunLock::acquire(const std::string& db_path) {
  std::filesystem::path path = run_lock_path(db_path);
  auto file = WriteFile::open(path, WriteMode::keep);  // 0666 less the umask, as any file
  if (!file) {
    return file.error();
  }
  int fd = file->release();  // the lock lives as long as the RunLock
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char buf[32] = {};
    ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    ::close(fd);
    std::string pid = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "?";
    pid.erase(pid.find_last_not_of(" \n") + 1);
    return Error{ErrorKind::busy, fmt::format("another reelq (pid {}) is running batches from {}; wait for it to "
                                              "finish or stop it (Ctrl-C) first",
                                              pid, db_path)};
  }
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    // The lock holds regardless; only the pid in error messages would be missing.
  }
  return RunLock(fd);
}

std::optional<long> RunLock::holder(const std::string& db_path) {
  std::filesystem::path path = run_lock_path(db_path);
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    return std::nullopt;  // never locked (or a planted link: no reelq locks through one)
  }
  std::optional<long> pid;
  if (::flock(fd, LOCK_SH | LOCK_NB) != 0) {
    char buf[32] = {};
    ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    pid = n > 0 ? std::strtol(buf, nullptr, 10) : 0;
  }
  ::close(fd);  // releases a shared lock taken by the probe
  return pid;
}

RunLock::RunLock(RunLock&& other) noexcept : m_fd(other.m_fd) {
  other.m_fd = -1;
}

RunLock::~RunLock() {
  if (m_fd >= 0) {
    ::close(m_fd);  // releases the flock
  }
}

}  // namespace reelq
