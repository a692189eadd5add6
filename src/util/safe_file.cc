#include "util/safe_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <optional>
#include <ostream>
#include <streambuf>

namespace reelq {

namespace fs = std::filesystem;

namespace {

bool is_link_itself(const fs::path& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
}

Error cannot_open(const fs::path& path, int err) {
  return Error{ErrorKind::io, fmt::format("cannot write {}: {}", path.string(), std::strerror(err))};
}

int flags_for(WriteMode mode) {
  // O_NONBLOCK: opening a FIFO for writing would otherwise wait for a reader forever. It changes
  // nothing for a regular file, and is cleared once the file is known to be one.
  int common = O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK;
  switch (mode) {
    case WriteMode::fresh:
      return common | O_WRONLY | O_EXCL;
    case WriteMode::keep:
      return common | O_RDWR;
    case WriteMode::append:
      return common | O_WRONLY | O_APPEND;
  }
  return common | O_WRONLY | O_EXCL;
}

Error not_regular(const fs::path& path) {
  return Error{ErrorKind::input, fmt::format("{} is not a regular file; reelq will not write into it (delete it, or "
                                             "choose another name)",
                                             path.string())};
}

int open_once(const fs::path& path, WriteMode mode, mode_t perms) {
  return ::open(path.c_str(), flags_for(mode), perms);
}

}  // namespace

int open_for_writing(const fs::path& path, WriteMode mode, mode_t perms, int& err, std::optional<Error>& refusal) {
  int fd = open_once(path, mode, perms);
  if (fd < 0 && errno == EEXIST && mode == WriteMode::fresh) {
    // A temporary file a crashed run left is reelq's own: remove it, then make it new. Anything
    // else under the name (a link above all) is not reelq's to remove or to write into.
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::unlink(path.c_str()) == 0) {
      fd = open_once(path, mode, perms);
    } else {
      errno = EEXIST;
    }
  }
  if (fd < 0) {
    err = errno;
    // ELOOP is O_NOFOLLOW's answer for a link, EEXIST O_EXCL's, ENXIO a FIFO's without a reader:
    // what is under the name says more than the errno.
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
      refusal = symlink_refused(path);
    } else if (err != EACCES && ::lstat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
      refusal = not_regular(path);
    }
    return -1;
  }
  struct stat st {};
  int fl = -1;
  if (::fstat(fd, &st) != 0 ||
      (S_ISREG(st.st_mode) && ((fl = ::fcntl(fd, F_GETFL)) < 0 || ::fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0))) {
    err = errno;
    ::close(fd);
    return -1;
  }
  if ((mode == WriteMode::keep || mode == WriteMode::append) && S_ISREG(st.st_mode) && st.st_nlink > 1) {
    // Another name for the same file (a hard link to ~/.bashrc): rewriting it in place, or adding
    // to it, would change that file.
    ::close(fd);
    refusal = Error{ErrorKind::input, fmt::format("{} has other names (hard links); reelq will not write into it "
                                                  "(delete it, and reelq makes its own)",
                                                  path.string())};
    return -1;
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    refusal = not_regular(path);
    return -1;
  }
  return fd;
}

namespace {

// Writes into a file descriptor through a buffer, remembering the first errno: what an ofstream
// would do, on a descriptor opened safely.
class FdBuf : public std::streambuf {
 public:
  explicit FdBuf(WriteFile& file) : m_file(file) { setp(m_buf.data(), m_buf.data() + m_buf.size()); }
  int error() const { return m_errno; }

 protected:
  int_type overflow(int_type c) override {
    if (sync() != 0) {
      return traits_type::eof();
    }
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(c);
      pbump(1);
    }
    return traits_type::not_eof(c);
  }
  int sync() override {
    if (m_errno == 0 && pptr() > pbase()) {
      m_errno = m_file.write(std::string_view(pbase(), static_cast<size_t>(pptr() - pbase())));
    }
    setp(m_buf.data(), m_buf.data() + m_buf.size());
    return m_errno == 0 ? 0 : -1;
  }

 private:
  WriteFile& m_file;
  std::array<char, 65536> m_buf{};
  int m_errno = 0;
};

}  // namespace

Error io_error(const fs::path& path, std::string_view what, int err) {
  return Error{ErrorKind::io, fmt::format("cannot {} {}: {}", what, path.string(), std::strerror(err))};
}

Error symlink_refused(const fs::path& path) {
  return Error{ErrorKind::input, fmt::format("{} is a symbolic link; reelq will not write through it (delete the "
                                             "link, or choose another name)",
                                             path.string())};
}

Result<WriteFile> WriteFile::open(const fs::path& path, WriteMode mode, mode_t perms) {
  int err = 0;
  std::optional<Error> refusal;
  int fd = open_for_writing(path, mode, perms, err, refusal);
  if (fd < 0) {
    return refusal ? *refusal : cannot_open(path, err);
  }
  return WriteFile(fd);
}

WriteFile::WriteFile(WriteFile&& other) noexcept : m_fd(other.m_fd) {
  other.m_fd = -1;
}

WriteFile::~WriteFile() {
  close();
}

int WriteFile::write(std::string_view data) {
  while (!data.empty()) {
    ssize_t w = ::write(m_fd, data.data(), data.size());
    if (w < 0) {
      if (errno == EINTR) {
        continue;
      }
      return errno;
    }
    data.remove_prefix(static_cast<size_t>(w));
  }
  return 0;
}

int WriteFile::release() {
  int fd = m_fd;
  m_fd = -1;
  return fd;
}

int WriteFile::close() {
  int err = 0;
  if (m_fd >= 0 && ::close(m_fd) != 0) {
    err = errno;
  }
  m_fd = -1;
  return err;
}

Status refuse_symlink(const fs::path& path) {
  if (is_link_itself(path)) {
    return symlink_refused(path);
  }
  return ok_status();
}

Status replace_file(const fs::path& path, const fs::path& tmp, const std::function<void(std::ostream&)>& fill) {
  if (auto st = refuse_symlink(path); !st) {
    return st;
  }
  int open_err = 0;
  std::optional<Error> refusal;
  int fd = open_for_writing(tmp, WriteMode::fresh, 0666, open_err, refusal);
  if (fd < 0) {
    // A refusal names the temporary file, where the link is; anything else is about `path`.
    return refusal ? *refusal : cannot_open(path, open_err);
  }
  WriteFile file(fd);
  int err = 0;
  {
    FdBuf buf(file);
    std::ostream out(&buf);
    fill(out);
    out.flush();
    err = buf.error();
  }
  if (int closed = file.close(); err == 0) {
    err = closed;
  }
  if (err == 0 && ::rename(tmp.c_str(), path.c_str()) != 0) {
    err = errno;
  }
  if (err != 0) {
    ::unlink(tmp.c_str());
    return cannot_open(path, err);
  }
  return ok_status();
}

}  // namespace reelq
