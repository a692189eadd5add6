#pragma once
// Carries out a delivery plan (deliver/delivery_plan.h): each file hard-linked into the folder when
// it is on the same filesystem (unless copies are asked for), copied otherwise, its SHA-256 checked
// against the one recorded at download, and a row appended to the folder's delivery.csv. Nothing in
// the folder is ever overwritten or written through a symbolic link (the folder itself is opened once
// and held, so one swapped in after the check leads nowhere): a name already holding the
// same bytes is skipped, one holding other bytes leaves that take out (named: an edit, or another
// take an earlier delivery put there), a link there stops the delivery. A result that is
// gone or no longer holds what was downloaded is left out, before anything is made for it in the
// folder, and the other files are delivered.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "deliver/delivery_plan.h"
#include "util/result.h"

namespace reelq {

enum class Placement { link, copy, already_there };

// How files are placed. A hard link shares its bytes with reelq's result: a client folder that
// will be edited (trimmed, graded in place) needs copies, or the edit changes the render too.
enum class DeliverMethod {
  link_or_copy,  // a hard link when the folder is on the results' filesystem, else a copy
  copy,          // always a copy
};

// A take as delivery.csv names it.
struct ListedTake {
  std::string batch;
  std::string job;
  int take = 0;
  bool operator==(const ListedTake&) const = default;
};

// Why a take's file was left out while the others were delivered.
enum class SourceProblem {
  missing,  // its result is no longer in reelq's output folder
  damaged,     // its result no longer holds what was downloaded (edited or corrupted since)
  in_the_way,  // DIR holds other bytes under its name (an edit, another file): never overwritten
};

struct NotDelivered {
  DeliveryItem item;
  SourceProblem problem = SourceProblem::missing;
  std::string sha256;  // what a damaged result holds now
  // in_the_way: another take delivery.csv says was delivered under the name: names that clash
  // across deliveries, not an edit. nullopt when the list names none, or this very take.
  std::optional<ListedTake> delivered_there;
};

struct DeliveryOutcome {
  int linked = 0;
  int copied = 0;
  int already_there = 0;                    // same bytes under the same name: a delivery run before
  std::vector<NotDelivered> not_delivered;  // in plan order; nothing of theirs is in the folder
};

// delivery.csv's columns, in order.
constexpr const char* k_delivery_csv_header = "batch,job,take,source,destination,bytes,sha256,how";

// Delivers `items` into `dir` (created if missing), in order. A missing or damaged result is listed
// in the outcome and the rest go on; any other error stops the delivery, and what was delivered
// before it is on disk and in delivery.csv, and a second run adds the rest.
Result<DeliveryOutcome> deliver(const std::vector<DeliveryItem>& items, const std::filesystem::path& dir,
                                DeliverMethod method);

}  // namespace reelq
