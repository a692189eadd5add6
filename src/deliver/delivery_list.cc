#include "deliver/delivery_list.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cctype>
#include <charconv>
#include <ostream>

#include "report/csv.h"

namespace reelq {

namespace fs = std::filesystem;

namespace {

// The whole file, or "" when there is none yet; never through a link.
Result<std::string> read_all(const Where& csv) {
  // O_NONBLOCK: a FIFO under the name would wait for a writer forever; it is refused below.
  int fd = ::open(csv.at.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ELOOP) {
      return symlink_refused(csv.shown);  // the folder's, planted: not a failure of the disk
    }
    return errno == ENOENT ? Result<std::string>(std::string()) : io_error(csv.shown, "read", errno);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Error{ErrorKind::input, fmt::format("{} is not a regular file; reelq will not read or write it (delete "
                                               "it, or choose another --to)",
                                               csv.shown.string())};
  }
  std::string text;
  char buf[1 << 16];
  ssize_t n = 0;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) {
    text.append(buf, static_cast<size_t>(n));
  }
  int err = n < 0 ? errno : 0;
  ::close(fd);
  return err ? Result<std::string>(io_error(csv.shown, "read", err)) : Result<std::string>(std::move(text));
}

// A batch name or job id as schemas/manifest.schema.json allows them.
bool is_id(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

// Destinations are absolute paths in DIR; sources are in the output folders, which DIR is never
// in nor around (delivery_folder.h), so a destination's field cannot match a source's.
bool names(std::string_view text, const std::string& dest) {
  return text.find("," + csv_field(dest) + ",") != std::string_view::npos;
}

}  // namespace

Result<DeliveryList> DeliveryList::open(const HeldFolder& dir) {
  const Where csv = dir.name("delivery.csv");
  auto before = read_all(csv);
  if (!before) {
    return before.error();
  }
  auto file = WriteFile::open(csv.at, WriteMode::append, 0644);
  if (!file) {
    return shown(file.error(), csv);
  }
  struct stat st {};
  if (::fstat(file->fd(), &st) == 0 && st.st_size == 0) {
    if (int err = file->write(std::string(k_delivery_csv_header) + "\r\n"); err) {
      return io_error(csv.shown, "write", err);
    }
  }
  return DeliveryList(std::move(*file), std::move(*before), csv);
}

bool DeliveryList::lists(const Where& dest) const {
  return names(m_before, dest.shown.string());
}

std::optional<ListedTake> DeliveryList::listed_take(const Where& dest) const {
  const std::string field = "," + csv_field(dest.shown.string()) + ",";
  std::optional<ListedTake> found;
  for (size_t start = 0; start < m_before.size();) {
    size_t end = m_before.find("\r\n", start);
    end = end == std::string::npos ? m_before.size() : end + 2;
    std::string_view row(m_before.data() + start, end - start);
    start = end;
    if (row.find(field) == std::string_view::npos) {
      continue;
    }
    // batch,job,take first: batch names and job ids hold no comma nor quote ([A-Za-z0-9._-],
    // schemas/manifest.schema.json), so they are never quoted.
    size_t a = row.find(',');
    size_t b = a == std::string_view::npos ? a : row.find(',', a + 1);
    size_t c = b == std::string_view::npos ? b : row.find(',', b + 1);
    int take = 0;
    // The file is the folder's, which others may edit: only a row reelq could have written (ids of
    // [A-Za-z0-9._-], a take number) is named back, so no raw bytes from it reach a message.
    if (c != std::string_view::npos && is_id(row.substr(0, a)) && is_id(row.substr(a + 1, b - a - 1)) &&
        std::from_chars(row.data() + b + 1, row.data() + c, take).ptr == row.data() + c) {
      found = ListedTake{std::string(row.substr(0, a)), std::string(row.substr(a + 1, b - a - 1)), take};
    }
  }
  return found;
}

Status DeliveryList::add(const DeliveryItem& item, const Where& dest, const std::string& sha, Placement how, Row row) {
  std::error_code ec;
  auto bytes = fs::file_size(dest.at, ec);
  std::string line = fmt::format("{},{},{},{},{},{},{},{}\r\n", csv_field(item.batch), csv_field(item.job), item.take,
                                 csv_field(item.source.string()), csv_field(dest.shown.string()), ec ? 0 : bytes, sha,
                                 how == Placement::link ? "link" : "copy");
  if (int err = m_file.write(line); err) {
    return io_error(m_csv.shown, "write", err);
  }
  if (row == Row::replaces_link) {
    m_replaced.push_back(dest.shown.string());
  }
  return ok_status();
}

Status DeliveryList::close() {
  if (int err = m_file.close(); err) {
    return io_error(m_csv.shown, "write", err);
  }
  if (m_replaced.empty()) {
    return ok_status();
  }
  auto now = read_all(m_csv);
  if (!now) {
    return now.error();
  }
  std::string kept;
  for (size_t start = 0; start < now->size();) {
    size_t end = now->find("\r\n", start);
    end = end == std::string::npos ? now->size() : end + 2;
    std::string_view row(now->data() + start, end - start);
    bool stale = row.ends_with(",link\r\n") &&
                 std::any_of(m_replaced.begin(), m_replaced.end(), [&](const auto& d) { return names(row, d); });
    if (!stale) {
      kept += row;
    }
    start = end;
  }
  auto st = replace_file(m_csv.at, staging_name(m_csv).at, [&](std::ostream& out) { out << kept; });
  return st ? st : Status(shown(st.error(), m_csv));
}

}  // namespace reelq
