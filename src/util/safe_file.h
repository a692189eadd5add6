#pragma once
// Every file reelq writes is opened here, never by name through ofstream, fopen or a bare open():
// a name can arrive as a symbolic link (a cloned repository can carry `reelq.db.lock -> ~/.bashrc`
// or `.reelq-queue.tmp -> ~/.profile`), and following it would write reelq's bytes into whatever it
// points at. O_NOFOLLOW makes the open fail on the link itself, so the check and the open are one
// step and no one can swap the link in between.
#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string_view>

#include "util/result.h"

namespace reelq {

enum class WriteMode {
  // A temporary file of reelq's own, made new (O_EXCL): a regular file left under its name by a
  // crashed run is removed first; whatever the name held is never written into.
  fresh,
  // Opened as it is, or created, for reading too: the run lock, whose pid is read by the one
  // refused and rewritten in place by the one that takes it.
  keep,
  // Appended to, or created: the simulator's ledger, a delivery's delivery.csv. Like `keep`, a file
  // with other names (hard links) is refused.
  append,
};

// "PATH is a symbolic link; reelq will not write through it (delete the link, or choose another
// name)": the refusal every writer gives for a planted link. ErrorKind::io.
Error symlink_refused(const std::filesystem::path& path);

// "cannot WHAT PATH: REASON" for the errno `err` (ErrorKind::io): a read, write, link or rename
// of `path` that failed.
Error io_error(const std::filesystem::path& path, std::string_view what, int err);

// The checks of WriteFile::open, for a caller that must tell errors apart (a full disk is not a
// broken file): the descriptor, or -1 with `refusal` set (a link, not a regular file) or with
// `err` the errno.
int open_for_writing(const std::filesystem::path& path, WriteMode mode, mode_t perms, int& err,
                     std::optional<Error>& refusal);

// An open file descriptor for writing, closed with the object.
class WriteFile {
 public:
  // Opens `path` for writing without following a link at its last component. A link is refused
  // (symlink_refused), and so is anything but a regular file (a FIFO, a device): a FIFO would
  // block the open and a device would take reelq's bytes. `perms` applies when the file is
  // created, less the umask.
  static Result<WriteFile> open(const std::filesystem::path& path, WriteMode mode, mode_t perms = 0666);
  explicit WriteFile(int fd) : m_fd(fd) {}  // takes over an open descriptor

  WriteFile(WriteFile&& other) noexcept;
  WriteFile& operator=(WriteFile&&) = delete;
  WriteFile(const WriteFile&) = delete;
  ~WriteFile();

  int fd() const { return m_fd; }
  // Hands the descriptor over to the caller, who closes it.
  int release();
  // Writes all of `data` (retrying short writes); 0, or the errno that stopped it.
  int write(std::string_view data);
  // Closes now; 0, or the errno of close (some filesystems report a full disk only here).
  int close();

 private:
  int m_fd = -1;
};

// Refuses (symlink_refused) when `path` is a symbolic link; a missing name or any other file is
// fine. For a name reelq replaces with rename(): that would not write through the link, but it
// would put a file where the user (or a cloned repository) keeps a link, so reelq says so instead.
Status refuse_symlink(const std::filesystem::path& path);

// Writes `path` whole or not at all: `fill` streams into the fresh temporary file `tmp` (beside
// `path`, WriteMode::fresh), which is then renamed over `path`. Refuses when `path` or `tmp` is a
// symbolic link. On failure `tmp` is removed and `path` is left as it was. Errors name `path`:
// "cannot write PATH: REASON".
Status replace_file(const std::filesystem::path& path, const std::filesystem::path& tmp,
                    const std::function<void(std::ostream&)>& fill);

}  // namespace reelq
