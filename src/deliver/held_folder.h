#pragma once
// The delivery folder, made if missing and opened once, never through a symbolic link. Every file
// of a delivery is then made through the open folder (/proc/self/fd/N), so a link put in the
// folder's place between the check (delivery_folder.h) and the writes cannot send files elsewhere.
// Messages and delivery.csv name the path the user gave, never /proc/self/fd.
#include <filesystem>
#include <string>

#include "util/result.h"

namespace reelq {

// A name in the delivery folder: `at` reaches it through the held folder, `shown` is the path the
// user gave, for messages and delivery.csv.
struct Where {
  std::filesystem::path at;
  std::filesystem::path shown;
};

// The name a file is made under before it gets its delivered name: hidden, and reelq's own.
Where staging_name(const Where& dest);

// `e` with the path through the held folder replaced by the one the user knows.
Error shown(Error e, const Where& w);

class HeldFolder {
 public:
  // Makes `dir` if missing and opens it. A symbolic link at `dir` is refused (symlink_refused).
  static Result<HeldFolder> open(const std::filesystem::path& dir);
  HeldFolder(HeldFolder&& o) noexcept;
  HeldFolder(const HeldFolder&) = delete;
  HeldFolder& operator=(const HeldFolder&) = delete;
  HeldFolder& operator=(HeldFolder&&) = delete;
  ~HeldFolder();

  Where name(const std::string& file) const;

 private:
  HeldFolder(int fd, std::filesystem::path shown);
  int m_fd = -1;
  std::filesystem::path m_shown;
};

}  // namespace reelq
