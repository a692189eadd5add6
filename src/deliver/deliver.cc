#include "deliver/deliver.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <variant>

#include "deliver/delivery_folder.h"
#include "deliver/delivery_list.h"
#include "deliver/held_folder.h"
#include "util/file_digest.h"
#include "util/safe_file.h"

namespace reelq {

namespace fs = std::filesystem;

namespace {

// Copies `source` into the fresh file `tmp` (a stale one of a crashed delivery replaced, a link
// refused: util/safe_file.h).
Status copy_to(const fs::path& source, const Where& tmp) {
  int in = ::open(source.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (in < 0) {
    return io_error(source, "read", errno);
  }
  auto out = WriteFile::open(tmp.at, WriteMode::fresh, 0644);
  if (!out) {
    ::close(in);
    return shown(out.error(), tmp);
  }
  char buf[1 << 16];
  int err = 0;
  for (ssize_t n; err == 0 && (n = ::read(in, buf, sizeof buf)) != 0;) {
    err = n < 0 ? errno : out->write(std::string_view(buf, static_cast<size_t>(n)));
  }
  ::close(in);
  err = err ? err : out->close();
  if (err) {
    ::unlink(tmp.at.c_str());
    return io_error(tmp.shown, "write", err);
  }
  return ok_status();
}

// Makes `tmp` hold the source's bytes: a hard link when `method` allows one and the filesystem
// does (same filesystem, links supported), else a copy.
Result<Placement> stage(const fs::path& source, const Where& tmp, DeliverMethod method) {
  if (method == DeliverMethod::link_or_copy) {
    // A stale staging file of a crashed delivery goes; a link planted under its name is refused.
    if (auto st = refuse_symlink(tmp.at); !st) {
      return shown(st.error(), tmp);
    }
    ::unlink(tmp.at.c_str());
    if (::link(source.c_str(), tmp.at.c_str()) == 0) {
      return Placement::link;
    }
    int err = errno;
    if (err != EXDEV && err != EPERM && err != EMLINK && err != ENOTSUP && err != EACCES) {
      return io_error(tmp.shown, "link", err);
    }
  }
  if (auto st = copy_to(source, tmp); !st) {
    return st.error();
  }
  return Placement::copy;
}

using ItemDone = std::variant<Placement, NotDelivered>;

// Places `item` at `dest` through its staging name, checked there: what gets the delivered name
// holds the downloaded bytes. link() never replaces a file that appeared meanwhile, where rename()
// would.
Result<ItemDone> place(const DeliveryItem& item, const Where& dest, const std::string& want, DeliverMethod method) {
  const Where tmp = staging_name(dest);
  auto how = stage(item.source, tmp, method);
  if (!how) {
    return how.error();
  }
  // Checked again as staged: a result changed between its check and the link or copy never gets
  // the delivered name.
  if (std::string got = file_sha256(tmp.at); got != want) {
    ::unlink(tmp.at.c_str());
    return ItemDone{NotDelivered{item, SourceProblem::damaged, got, std::nullopt}};
  }
  int err = ::link(tmp.at.c_str(), dest.at.c_str()) == 0 ? 0 : errno;
  ::unlink(tmp.at.c_str());
  if (err == EEXIST) {
    return Error{ErrorKind::conflict,
                 fmt::format("{} appeared while reelq delivered to it; nothing was overwritten", dest.shown.string())};
  }
  if (err) {
    return io_error(dest.shown, "link", err);
  }
  return ItemDone{*how};
}

bool same_file(const fs::path& a, const fs::path& b) {
  struct stat sa {}, sb {};
  return ::lstat(a.c_str(), &sa) == 0 && ::lstat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

// Puts a copy of the result in place of `dest`, a hard link of it: through the staging name and a
// rename, which replaces the link's name and leaves the render as it is.
Result<ItemDone> replace_with_copy(const DeliveryItem& item, const Where& dest, const std::string& want) {
  const Where tmp = staging_name(dest);
  if (auto st = copy_to(item.source, tmp); !st) {
    return st.error();
  }
  if (std::string got = file_sha256(tmp.at); got != want) {
    ::unlink(tmp.at.c_str());
    return ItemDone{NotDelivered{item, SourceProblem::damaged, got, std::nullopt}};
  }
  if (!same_file(dest.at, item.source)) {
    ::unlink(tmp.at.c_str());
    return Error{ErrorKind::conflict,
                 fmt::format("{} changed while reelq made it a copy; nothing was overwritten", dest.shown.string())};
  }
  if (::rename(tmp.at.c_str(), dest.at.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.at.c_str());
    return io_error(dest.shown, "replace", err);
  }
  return ItemDone{Placement::copy};
}

// What is at `dest` already.
enum class Found { nothing, same_bytes, other_bytes };

// What is at `dest`: nothing, the same bytes, or something else (a file of other bytes, a
// folder); a symbolic link is refused, never followed or counted as the delivered file.
Result<Found> existing(const Where& dest, const std::string& want) {
  struct stat st {};
  if (::lstat(dest.at.c_str(), &st) != 0) {
    return errno == ENOENT ? Result<Found>(Found::nothing) : io_error(dest.shown, "inspect", errno);
  }
  if (S_ISLNK(st.st_mode)) {
    return symlink_refused(dest.shown);
  }
  return S_ISREG(st.st_mode) && file_sha256(dest.at) == want ? Found::same_bytes : Found::other_bytes;
}

// Delivers one file: how it was placed, or why its take is left out (its result gone or damaged).
Result<ItemDone> deliver_one(const DeliveryItem& item, const HeldFolder& dir, DeliveryList& list,
                             DeliverMethod method) {
  const Where dest = dir.name(item.name);
  struct stat st {};
  if (::lstat(item.source.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return ItemDone{NotDelivered{item, SourceProblem::missing, "", std::nullopt}};
  }
  // The digest recorded at download; a result downloaded before reelq recorded one is taken as is.
  std::string want = item.sha256.empty() ? file_sha256(item.source) : item.sha256;
  if (want.empty()) {
    return io_error(item.source, "read", errno);
  }
  auto there = existing(dest, want);
  if (!there) {
    return there.error();
  }
  if (*there == Found::same_bytes) {
    // Copies asked for where an earlier delivery linked: the link shares the render's bytes, so an
    // edit in the folder would edit the render. It becomes a copy.
    if (method == DeliverMethod::copy && same_file(dest.at, item.source)) {
      auto copied = replace_with_copy(item, dest, want);
      if (copied && std::holds_alternative<Placement>(*copied)) {
        if (auto listed = list.add(item, dest, want, Placement::copy, Row::replaces_link); !listed) {
          return listed.error();
        }
      }
      return copied;
    }
    // Already there but not in the list (a delivery.csv deleted or lost): listed again, so the
    // list keeps covering the folder.
    if (!list.lists(dest)) {
      Placement how = same_file(dest.at, item.source) ? Placement::link : Placement::copy;
      if (auto listed = list.add(item, dest, want, how); !listed) {
        return listed.error();
      }
    }
    return ItemDone{Placement::already_there};
  }
  // The result is checked before anything is made in the folder for it, so a damaged one never
  // shows there, not even for a moment; and before a name in the way is reported, as that name may
  // be a hard link of this very result, edited along with it.
  if (!item.sha256.empty()) {
    std::string got = file_sha256(item.source);
    if (got.empty()) {
      return io_error(item.source, "read", errno);
    }
    if (got != want) {
      return ItemDone{NotDelivered{item, SourceProblem::damaged, got, std::nullopt}};
    }
  }
  if (*there == Found::other_bytes) {
    // The client's edit (or another file) under the name: left as it is and the take left out,
    // named; the other takes are still delivered, so an edit folder can take new ones.
    std::optional<ListedTake> there_before = list.listed_take(dest);
    if (there_before == ListedTake{item.batch, item.job, item.take}) {
      there_before.reset();  // this very take, delivered before and edited since
    }
    return ItemDone{NotDelivered{item, SourceProblem::in_the_way, "", there_before}};
  }
  auto done = place(item, dest, want, method);
  if (!done) {
    return done;
  }
  if (const Placement* how = std::get_if<Placement>(&*done)) {
    if (auto listed = list.add(item, dest, want, *how); !listed) {
      return listed.error();
    }
  }
  return done;
}

}  // namespace

Result<DeliveryOutcome> deliver(const std::vector<DeliveryItem>& items, const fs::path& to, DeliverMethod method) {
  std::error_code ec;
  // delivery.csv lists absolute paths
  auto dir = HeldFolder::open(without_trailing_slash(fs::absolute(to, ec).lexically_normal()));
  if (!dir) {
    return dir.error();
  }
  auto opened = DeliveryList::open(*dir);
  if (!opened) {
    return opened.error();
  }
  DeliveryList& list = *opened;
  DeliveryOutcome outcome;
  for (const DeliveryItem& item : items) {
    auto done = deliver_one(item, *dir, list, method);
    if (!done) {
      return done.error();
    }
    if (auto* left_out = std::get_if<NotDelivered>(&*done)) {
      outcome.not_delivered.push_back(std::move(*left_out));
      continue;
    }
    Placement how = std::get<Placement>(*done);
    int& count = how == Placement::link   ? outcome.linked
                 : how == Placement::copy ? outcome.copied
                                          : outcome.already_there;
    ++count;
  }
  if (auto st = list.close(); !st) {
    return st.error();
  }
  return outcome;
}

}  // namespace reelq
