#pragma once
// Which queue an output folder's results belong to. reelq writes a small file, `.reelq-queue`, into
// every output folder it drains a batch into: one line per (queue, batch), naming the queue by its
// id (table queue_identity) and its database by absolute path. A run refuses, before anything is
// sent, a folder that holds another queue's results for the same batch: that is the same manifest
// run with another database, which would render and pay for the whole batch again.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "util/result.h"

namespace reelq {

inline constexpr const char* k_claim_file = ".reelq-queue";

struct FolderClaim {
  std::string queue_id;
  std::string batch;
  std::string db_path;  // absolute, as it was when the claim was written
};

// The claims in `dir`'s .reelq-queue; none when there is no such file. Lines that do not parse are
// skipped (the file is reelq's own; a damaged line must not stop a night).
std::vector<FolderClaim> read_claims(const std::filesystem::path& dir);

// Another queue's claim on `batch`, if `claims` hold one.
std::optional<FolderClaim> foreign_claim(const std::vector<FolderClaim>& claims, const std::string& batch,
                                         const std::string& queue_id);

// The usage error that refuses `dir`, naming the database that owns it and what to do.
Error foreign_claim_error(const std::filesystem::path& dir, const FolderClaim& owner);

// Records that `claim`'s queue writes `claim.batch`'s results into `dir` (replacing that queue's
// earlier line for the batch, e.g. after its database was moved). Written to a temporary file and
// renamed, so the file is always whole.
Status claim_folder(const std::filesystem::path& dir, const FolderClaim& claim);

}  // namespace reelq
