#include "deliver/held_folder.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "util/safe_file.h"

namespace reelq {

namespace fs = std::filesystem;

Where staging_name(const Where& dest) {
  std::string name = "." + dest.at.filename().string() + ".reelq-part";
  return Where{dest.at.parent_path() / name, dest.shown.parent_path() / name};
}

Error shown(Error e, const Where& w) {
  const std::string at = w.at.string();
  for (size_t i = e.message.find(at); i != std::string::npos; i = e.message.find(at, i)) {
    e.message.replace(i, at.size(), w.shown.string());
    i += w.shown.string().size();
  }
  return e;
}

Result<HeldFolder> HeldFolder::open(const fs::path& dir) {
  std::error_code ec;
  fs::create_directory(dir, ec);  // DIR only: its parent must exist (delivery_folder.h)
  if (ec) {
    return io_error(dir, "create", ec.value());
  }
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    struct stat st {};
    return ::lstat(dir.c_str(), &st) == 0 && S_ISLNK(st.st_mode) ? symlink_refused(dir) : io_error(dir, "open", err);
  }
  return HeldFolder(fd, dir);
}

HeldFolder::HeldFolder(int fd, fs::path shown) : m_fd(fd), m_shown(std::move(shown)) {}

HeldFolder::HeldFolder(HeldFolder&& o) noexcept : m_fd(std::exchange(o.m_fd, -1)), m_shown(std::move(o.m_shown)) {}

HeldFolder::~HeldFolder() {
  if (m_fd >= 0) {
    ::close(m_fd);
  }
}

Where HeldFolder::name(const std::string& file) const {
  return Where{fs::path("/proc/self/fd") / std::to_string(m_fd) / file, m_shown / file};
}

}  // namespace reelq
