#pragma once
// Which result files `reelq deliver` hands over, and under which names: decided whole before any
// file is touched, so a bad name, a take not on disk or a pick that matches nothing stops the
// delivery with nothing half done.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "deliver/picks.h"
#include "report/report_data.h"
#include "util/result.h"

namespace reelq {

struct DeliveryItem {
  std::string batch;
  std::string job;
  int take = 1;
  int index = 1;                 // the file's place among its take's results, from 1
  std::filesystem::path source;  // absolute, in the batch's output folder
  std::string sha256;            // as recorded at download ("" = not recorded: computed from the source)
  std::string name;              // the file's name in the delivery folder
};

// The succeeded takes of `batches` (only those `picks` keeps, when given), one item per result
// file, named by `name_template` (deliver/delivery_name.h). Errors: a pick that names no succeeded
// take (every one named), a take whose file is not on disk, two files given one name (with the
// placeholders that would tell them apart) (ErrorKind::input).
Result<std::vector<DeliveryItem>> plan_delivery(const std::vector<BatchReport>& batches, const Picks* picks,
                                                std::string_view name_template);

// The placeholders that would tell `a` and `b` apart ({job}, {take}, {batch}, {index}: most telling
// first), leaving out those `name_template` already uses. Also for a name an earlier delivery gave.
std::vector<std::string_view> telling_apart(const DeliveryItem& a, const DeliveryItem& b,
                                            std::string_view name_template);

}  // namespace reelq
