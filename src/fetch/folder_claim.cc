#include "fetch/folder_claim.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "util/safe_file.h"
#include "util/text.h"

namespace reelq {

namespace fs = std::filesystem;

namespace {

constexpr const char* k_claim_header =
    "# Written by reelq: the queues whose results are in this folder, one per line: QUEUE-ID BATCH DATABASE\n";

}  // namespace

std::vector<FolderClaim> read_claims(const fs::path& dir) {
  std::vector<FolderClaim> out;
  std::ifstream in(dir / k_claim_file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') {
      continue;
    }
    // The id and the batch have no spaces; the database path is the rest of the line.
    std::istringstream fields(line);
    FolderClaim c;
    fields >> c.queue_id >> c.batch;
    std::getline(fields >> std::ws, c.db_path);
    if (!c.queue_id.empty() && !c.batch.empty() && !c.db_path.empty()) {
      out.push_back(std::move(c));
    }
  }
  return out;
}

std::optional<FolderClaim> foreign_claim(const std::vector<FolderClaim>& claims, const std::string& batch,
                                         const std::string& queue_id) {
  for (const auto& c : claims) {
    if (c.batch == batch && c.queue_id != queue_id) {
      return c;
    }
  }
  return std::nullopt;
}

Error foreign_claim_error(const fs::path& dir, const FolderClaim& owner) {
  std::error_code ec;
  std::string gone = fs::exists(owner.db_path, ec) ? "" : ", which no longer exists";
  return Error{ErrorKind::usage,
               fmt::format("{} holds results of batch {} from another queue: {}{} (queue id {}). Nothing was "
                           "sent. Continue the batch with that queue (--db {}), or send this run's results "
                           "elsewhere with --output-dir. If that queue is gone for good, delete {} to let this one "
                           "write there (files already there are never overwritten).",
                           dir.string(), owner.batch, owner.db_path, gone, owner.queue_id, shell_word(owner.db_path),
                           (dir / k_claim_file).string())};
}

Status claim_folder(const fs::path& dir, const FolderClaim& claim) {
  std::string text = k_claim_header;
  for (const auto& c : read_claims(dir)) {
    if (c.queue_id != claim.queue_id || c.batch != claim.batch) {
      text += fmt::format("{} {} {}\n", c.queue_id, c.batch, c.db_path);
    }
  }
  text += fmt::format("{} {} {}\n", claim.queue_id, claim.batch, claim.db_path);
  fs::path tmp = dir / (std::string(k_claim_file) + ".tmp");
  // Written whole, and never through a link planted under either name (util/safe_file.h).
  if (auto st = replace_file(dir / k_claim_file, tmp, [&](std::ostream& out) { out << text; }); !st) {
    return st;
  }
  return ok_status();
}

}  // namespace reelq
