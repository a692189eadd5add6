#pragma once
// The report as JSON: the CSV's data per take, with images, files and result URLs as arrays,
// numbers as numbers, missing values as null, and each take's event history. Shape: docs/report.md.
#include <iosfwd>
#include <vector>

#include "report/report_data.h"

namespace reelq {

void write_json(const std::vector<BatchReport>& batches, TimeMs generated_at, std::ostream& out);

}  // namespace reelq
