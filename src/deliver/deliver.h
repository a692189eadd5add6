#pragma once
// Carries out a delivery plan (deliver/delivery_plan.h): each file hard-linked into the folder when
// it is on the same filesystem, copied otherwise, its SHA-256 checked against the one recorded at
// download, and a row appended to the folder's delivery.csv. Nothing in the folder is ever
// overwritten or written through a symbolic link: a name already holding the same bytes is skipped,
// one holding other bytes (or a link) stops the delivery.
#include <filesystem>
#include <string>
#include <vector>

#include "deliver/delivery_plan.h"
#include "util/result.h"

namespace reelq {

enum class Placement { link, copy, already_there };

struct DeliveryOutcome {
  int linked = 0;
  int copied = 0;
  int already_there = 0;  // same bytes under the same name: a delivery run before
};

// delivery.csv's columns, in order.
constexpr const char* k_delivery_csv_header = "batch,job,take,source,destination,bytes,sha256,how";

// Delivers `items` into `dir` (created if missing), in order. Stops at the first error; what was
// delivered before it is on disk and in delivery.csv, and a second run adds the rest.
Result<DeliveryOutcome> deliver(const std::vector<DeliveryItem>& items, const std::filesystem::path& dir);

}  // namespace reelq
