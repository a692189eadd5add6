#include "deliver/deliver.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "report/csv.h"
#include "util/file_digest.h"
#include "util/safe_file.h"

namespace reelq {

namespace fs = std::filesystem;

namespace {

Error io_error(const fs::path& path, const std::string& what, int err) {
  return Error{ErrorKind::io, fmt::format("cannot {} {}: {}", what, path.string(), std::strerror(err))};
}

// Copies `source` to `dest` through a fresh temporary beside it, then links the temporary to its
// name: link() never replaces a file that appeared meanwhile, where rename() would.
Status copy_into(const fs::path& source, const fs::path& dest) {
  fs::path tmp = dest.parent_path() / ("." + dest.filename().string() + ".reelq-part");
  int in = ::open(source.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (in < 0) {
    return io_error(source, "read", errno);
  }
  auto out = WriteFile::open(tmp, WriteMode::fresh, 0644);
  if (!out) {
    ::close(in);
    return out.error();
  }
  char buf[1 << 16];
  int err = 0;
  for (ssize_t n; err == 0 && (n = ::read(in, buf, sizeof buf)) != 0;) {
    err = n < 0 ? errno : out->write(std::string_view(buf, static_cast<size_t>(n)));
  }
  ::close(in);
  err = err ? err : out->close();
  if (err == 0 && ::link(tmp.c_str(), dest.c_str()) != 0) {
    err = errno;
  }
  ::unlink(tmp.c_str());
  if (err == EEXIST) {
    return Error{ErrorKind::conflict,
                 fmt::format("{} appeared while reelq delivered to it; nothing was overwritten", dest.string())};
  }
  return err ? io_error(dest, "write", err) : ok_status();
}

// A hard link when the filesystem allows one (same filesystem, links supported), else a copy.
Result<Placement> place(const fs::path& source, const fs::path& dest) {
  if (::link(source.c_str(), dest.c_str()) == 0) {
    return Placement::link;
  }
  int err = errno;
  if (err == EEXIST) {
    return Error{ErrorKind::conflict,
                 fmt::format("{} appeared while reelq delivered to it; nothing was overwritten", dest.string())};
  }
  if (err != EXDEV && err != EPERM && err != EMLINK && err != ENOTSUP && err != EACCES) {
    return io_error(dest, "link", err);
  }
  if (auto st = copy_into(source, dest); !st) {
    return st.error();
  }
  return Placement::copy;
}

// What is at `dest` already: nothing (nullopt), the same bytes (already_there), or a refusal.
Result<std::optional<Placement>> existing(const fs::path& dest, const DeliveryItem& item, const std::string& want) {
  struct stat st {};
  if (::lstat(dest.c_str(), &st) != 0) {
    return errno == ENOENT ? Result<std::optional<Placement>>(std::nullopt) : io_error(dest, "inspect", errno);
  }
  if (S_ISLNK(st.st_mode)) {
    return symlink_refused(dest);
  }
  if (S_ISREG(st.st_mode) && file_sha256(dest) == want) {
    return std::optional<Placement>(Placement::already_there);
  }
  return Error{ErrorKind::conflict,
               fmt::format("{} already holds something other than job {} take {} ({}); reelq never overwrites a "
                           "delivered file: move it away or choose another --name",
                           dest.string(), item.job, item.take, item.source.string())};
}

// The source's bytes as they should be: the digest recorded at download, else the file's own.
Result<std::string> expected_digest(const DeliveryItem& item) {
  struct stat st {};
  if (::lstat(item.source.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return Error{ErrorKind::input, fmt::format("job {} take {}: its result {} is not on disk (`reelq download` fetches "
                                               "it again)",
                                               item.job, item.take, item.source.string())};
  }
  std::string sha = item.sha256.empty() ? file_sha256(item.source) : item.sha256;
  if (sha.empty()) {
    return io_error(item.source, "read", errno);
  }
  return sha;
}

// Opens delivery.csv for appending (never through a link), with its header when it is new.
Result<WriteFile> open_list(const fs::path& dir) {
  auto list = WriteFile::open(dir / "delivery.csv", WriteMode::append, 0644);
  if (!list) {
    return list.error();
  }
  struct stat st {};
  if (::fstat(list->fd(), &st) == 0 && st.st_size == 0) {
    if (int err = list->write(std::string(k_delivery_csv_header) + "\r\n"); err) {
      return io_error(dir / "delivery.csv", "write", err);
    }
  }
  return list;
}

std::string list_row(const DeliveryItem& item, const fs::path& dest, const std::string& sha, Placement how) {
  std::error_code ec;
  auto bytes = fs::file_size(dest, ec);
  return fmt::format("{},{},{},{},{},{},{},{}\r\n", csv_field(item.batch), csv_field(item.job), item.take,
                     csv_field(item.source.string()), csv_field(dest.string()), ec ? 0 : bytes, sha,
                     how == Placement::link ? "link" : "copy");
}

// Delivers one file; returns how, after checking what landed holds the expected bytes.
Result<Placement> deliver_one(const DeliveryItem& item, const fs::path& dir, WriteFile& list) {
  fs::path dest = dir / item.name;
  auto want = expected_digest(item);
  if (!want) {
    return want.error();
  }
  auto there = existing(dest, item, *want);
  if (!there) {
    return there.error();
  }
  if (*there) {
    return **there;
  }
  auto how = place(item.source, dest);
  if (!how) {
    return how.error();
  }
  if (std::string got = file_sha256(dest); got != *want) {
    ::unlink(dest.c_str());  // ours, made a moment ago: a corrupt delivery is worse than none
    return Error{ErrorKind::io, fmt::format("{} does not hold what was downloaded for job {} take {} (sha256 {}, "
                                            "expected {}); it was not delivered: `reelq download` fetches it again",
                                            item.source.string(), item.job, item.take, got, *want)};
  }
  if (int err = list.write(list_row(item, dest, *want, *how)); err) {
    return io_error(dir / "delivery.csv", "write", err);
  }
  return how;
}

}  // namespace

Result<DeliveryOutcome> deliver(const std::vector<DeliveryItem>& items, const fs::path& to) {
  std::error_code ec;
  const fs::path dir = fs::absolute(to, ec).lexically_normal();  // delivery.csv lists absolute paths
  fs::create_directories(dir, ec);
  if (ec) {
    return io_error(dir, "create", ec.value());
  }
  auto list = open_list(dir);
  if (!list) {
    return list.error();
  }
  DeliveryOutcome outcome;
  for (const DeliveryItem& item : items) {
    auto how = deliver_one(item, dir, *list);
    if (!how) {
      return how.error();
    }
    int& count = *how == Placement::link   ? outcome.linked
                 : *how == Placement::copy ? outcome.copied
                                           : outcome.already_there;
    ++count;
  }
  if (int err = list->close(); err) {
    return io_error(dir / "delivery.csv", "write", err);
  }
  return outcome;
}

}  // namespace reelq
