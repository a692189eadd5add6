#pragma once
// The report as CSV (RFC 4180): UTF-8 without a byte-order mark, CRLF line ends, a header row,
// one row per job take. Columns and their meaning: docs/report.md; their order never changes
// (new columns are only ever appended).
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "report/report_data.h"

namespace reelq {

const std::vector<std::string_view>& csv_columns();

// One field, quoted when it holds a comma, a quote, CR or LF (quotes doubled), else as it is.
std::string csv_field(std::string_view value);

void write_csv(const std::vector<BatchReport>& batches, std::ostream& out);

}  // namespace reelq
