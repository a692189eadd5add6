#include "keys/key_lease.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "api/answer_text.h"

namespace reelq {

namespace fs = std::filesystem;

namespace {

constexpr size_t k_max_holder_line = 1024;

Error lease_error(const fs::path& path, const std::string& what) {
  return Error{ErrorKind::io, fmt::format("{}: {}", path.string(), what)};
}

// What the file says of its holder: its first line, bounded and printable (whoever wrote the file,
// it reaches the terminal).
std::string read_holder(int fd) {
  std::string text(k_max_holder_line, '\0');
  ssize_t n = ::pread(fd, text.data(), text.size(), 0);
  text.resize(n > 0 ? static_cast<size_t>(n) : 0);
  text = printable_excerpt(text.substr(0, text.find('\n')), k_max_holder_line);
  return text.empty() ? "another reelq process" : text;
}

}  // namespace

fs::path KeyLease::default_folder() {
  if (const char* state = std::getenv("XDG_STATE_HOME"); state && *state == '/') {
    return fs::path(state) / "reelq" / "keys";
  }
  const char* home = std::getenv("HOME");
  return fs::path(home && *home ? home : "/tmp") / ".local" / "state" / "reelq" / "keys";
}

Result<std::optional<KeyLease>> KeyLease::try_take(const fs::path& folder, const std::string& fingerprint,
                                                   const std::string& holder, std::string& held_by) {
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec) {
    return lease_error(folder, ec.message());
  }
  ::chmod(folder.c_str(), 0700);  // the folder of who drives which key, the user's own
  const fs::path path = folder / (fingerprint + ".lock");
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    return lease_error(path, errno == ELOOP ? "is a symbolic link; not opened (remove it)" : std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return lease_error(path, "is not a regular file");
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    if (err == EWOULDBLOCK) {
      held_by = read_holder(fd);
      ::close(fd);
      return std::optional<KeyLease>();
    }
    ::close(fd);
    return lease_error(path, std::strerror(err));
  }
  // Ours: say who holds it (best effort: the lock is what counts, not the line).
  std::string line = holder.substr(0, k_max_holder_line - 1) + "\n";
  if (::ftruncate(fd, 0) == 0) {
    (void)!::pwrite(fd, line.data(), line.size(), 0);
  }
  return std::optional<KeyLease>(KeyLease(fd));
}

KeyLease::KeyLease(KeyLease&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}

KeyLease& KeyLease::operator=(KeyLease&& other) noexcept {
  if (this != &other) {
    if (m_fd >= 0) {
      ::close(m_fd);
    }
    m_fd = std::exchange(other.m_fd, -1);
  }
  return *this;
}

KeyLease::~KeyLease() {
  if (m_fd >= 0) {
    ::close(m_fd);  // closing the last descriptor releases the flock
  }
}

}  // namespace reelq
