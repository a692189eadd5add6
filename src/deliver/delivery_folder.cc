#include "deliver/delivery_folder.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "fetch/folder_claim.h"

namespace reelq {

namespace fs = std::filesystem;

namespace {

// The path with every link in it resolved, as far as it exists: two spellings of one folder
// (a relative --to, a link above it) compare equal.
fs::path resolved(const fs::path& p) {
  std::error_code ec;
  fs::path r = fs::weakly_canonical(fs::absolute(p, ec), ec);
  return ec ? fs::absolute(p, ec).lexically_normal() : r;
}

// Whether `inner` is `outer` or lies inside it, component by component ("renders/night2" is not
// inside "renders/night").
bool within(const fs::path& inner, const fs::path& outer) {
  auto [o, i] = std::mismatch(outer.begin(), outer.end(), inner.begin(), inner.end());
  return o == outer.end() || (std::next(o) == outer.end() && o->empty());
}

Error refused(const fs::path& to, const std::string& why) {
  return Error{ErrorKind::usage, fmt::format("--to {}: {}; nothing was delivered", to.string(), why)};
}

// What is at `to` already: nothing, a real folder, or a refusal.
Status check_kind(const fs::path& given) {
  const fs::path to = without_trailing_slash(given);  // else lstat looks through a link at its end
  if (to.empty()) {
    return Error{ErrorKind::usage, "--to is empty: pass the name of a folder for the delivery; nothing was delivered"};
  }
  struct stat st {};
  if (::lstat(to.c_str(), &st) != 0) {
    if (errno != ENOENT) {
      return refused(to, fmt::format("cannot inspect it ({})", std::strerror(errno)));
    }
    // Only DIR itself is made: a missing parent is more often a drive not mounted (/media/usb) or a
    // typo than a wish, and making it would deliver onto the wrong disk.
    std::error_code ec;
    fs::path parent = fs::absolute(to, ec).parent_path();
    if (!fs::is_directory(parent, ec)) {
      return refused(to, fmt::format("{} does not exist (a drive not mounted, or a typo?): reelq makes the delivery "
                                     "folder but not the folders above it; make {} first if it is meant",
                                     parent.string(), parent.string()));
    }
    return ok_status();
  }
  if (S_ISLNK(st.st_mode)) {
    std::error_code ec;
    fs::path target = fs::read_symlink(to, ec);
    target = target.is_absolute() ? target : to.parent_path() / target;
    if (!fs::exists(target, ec)) {
      return refused(to, fmt::format("it is a symbolic link to {}, which does not exist, and reelq does not deliver "
                                     "through a link: pass a new folder, or make {} and pass that",
                                     target.lexically_normal().string(), target.lexically_normal().string()));
    }
    return refused(to, fmt::format("it is a symbolic link (to {}), and reelq does not deliver through a link, which "
                                   "could send the files anywhere: pass the folder itself (--to {}) if that is where "
                                   "they should go, or a new folder",
                                   resolved(to).string(), resolved(to).string()));
  }
  if (!S_ISDIR(st.st_mode)) {
    return refused(to, fmt::format("it is {}, not a folder: pass the name of a folder for the delivery (one that "
                                   "does not exist yet is made)",
                                   S_ISREG(st.st_mode) ? "a file" : "not a regular file"));
  }
  return ok_status();
}

// Output folders of other queues (a rehearsal's, another project's) are known by the claim file
// reelq writes into each (fetch/folder_claim.h): DIR in one of them, or one itself, would mix the
// delivery with that queue's renders, database and report.
Status check_other_queues(const fs::path& to, const fs::path& dir) {
  for (fs::path p = dir; !p.empty(); p = p.parent_path()) {
    if (auto claims = read_claims(p); !claims.empty()) {
      const FolderClaim& c = claims.front();
      return refused(to, fmt::format("it is {}the output folder {} of batch {} in another reelq queue ({}): the "
                                     "client's files would mix with its renders. Pass a folder of its own, outside {}",
                                     p == dir ? "" : "inside ", p.string(), c.batch, c.db_path, p.string()));
    }
    if (p == p.parent_path()) {
      break;
    }
  }
  return ok_status();
}

}  // namespace

fs::path without_trailing_slash(const fs::path& p) {
  std::string s = p.string();
  while (s.size() > 1 && s.ends_with('/')) {
    s.pop_back();
  }
  return s;
}

Status check_delivery_folder(const fs::path& to, const std::vector<OutputFolder>& outputs) {
  if (auto st = check_kind(to); !st) {
    return st;
  }
  const fs::path dir = resolved(to);
  for (const OutputFolder& out : outputs) {
    const fs::path renders = resolved(out.path);
    if (within(dir, renders)) {
      return refused(to,
                     fmt::format("it is {}reelq's output folder {} (where batch {}'s renders are): the client's "
                                 "files would mix with reelq's, and editing them would edit reelq's. Pass a "
                                 "folder of its own, outside {}",
                                 within(renders, dir) ? "" : "inside ", renders.string(), out.batch, renders.string()));
    }
    if (within(renders, dir)) {
      return refused(to, fmt::format("it holds reelq's output folder {} (batch {}'s renders): handing the folder "
                                     "over would hand reelq's renders and files over too. Pass a folder of its own, "
                                     "such as {}",
                                     renders.string(), out.batch, (dir / "client").string()));
    }
  }
  return check_other_queues(to, dir);
}

}  // namespace reelq
