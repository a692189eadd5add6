#include "keys/trust_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace reelq {

namespace fs = std::filesystem;

namespace {

constexpr size_t k_max_file = 4 << 20;  // a few thousand queues' lines; past this it is not ours

std::string line_for(const std::string& queue_id, const std::string& value) {
  return queue_id + "\t" + value + "\n";
}

// The file's text, or "" if it cannot be read as a regular file that is not a link.
std::string read_all(const fs::path& file) {
  int fd = ::open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    return "";
  }
  struct stat st {};
  std::string text;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && static_cast<size_t>(st.st_size) <= k_max_file) {
    text.resize(static_cast<size_t>(st.st_size));
    ssize_t n = ::pread(fd, text.data(), text.size(), 0);
    text.resize(n > 0 ? static_cast<size_t>(n) : 0);
  }
  ::close(fd);
  return text;
}

Error trust_error(const fs::path& file, const std::string& why) {
  return Error{ErrorKind::io, fmt::format("cannot record what this queue was told to use in {}: {}", file.string(), why)};
}

}  // namespace

fs::path default_trust_file() {
  if (const char* state = std::getenv("XDG_STATE_HOME"); state && *state == '/') {
    return fs::path(state) / "reelq" / "trusted";
  }
  const char* home = std::getenv("HOME");
  return fs::path(home && *home ? home : "/tmp") / ".local" / "state" / "reelq" / "trusted";
}

bool is_trusted(const fs::path& file, const std::string& queue_id, const std::string& value) {
  const std::string text = read_all(file);
  const std::string line = line_for(queue_id, value);
  // Whole lines only: the text starts with it, or it follows a newline.
  for (size_t at = text.find(line); at != std::string::npos; at = text.find(line, at + 1)) {
    if (at == 0 || text[at - 1] == '\n') {
      return true;
    }
  }
  return false;
}

Status add_trusted(const fs::path& file, const std::string& queue_id, const std::string& value) {
  if (is_trusted(file, queue_id, value)) {
    return ok_status();
  }
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  if (ec) {
    return trust_error(file, ec.message());
  }
  int fd = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    return trust_error(file, errno == ELOOP ? "is a symbolic link; not opened (remove it)" : std::strerror(errno));
  }
  struct stat st {};
  const std::string line = line_for(queue_id, value);
  bool ok = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 1 &&
            ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  const int err = errno;
  ::close(fd);
  if (!ok) {
    return trust_error(
        file, S_ISREG(st.st_mode) && st.st_nlink == 1 ? std::strerror(err) : "is not a file of its own; not written");
  }
  return ok_status();
}

}  // namespace reelq
