#pragma once
// `reelq status --failed`: every failed take with its reason and what to type, the summary's advice
// (cli/next_steps.h) for that take alone, instead of a 22-column CSV of every row.
#include <SQLiteCpp/Database.h>

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "cli/next_steps.h"
#include "report/report_data.h"
#include "util/result.h"

namespace reelq {

struct FailedTake {
  std::string job_id;
  int take = 1;
  std::string code;
  std::string message;
  std::string advice;  // what to type
};

// Whether the take names a local image file (file://), which reelq serves at --public-url.
bool names_local_image(const ReportRow& row);

// The failed takes of `report`, in manifest order, each with its advice.
std::vector<FailedTake> failed_takes(const BatchReport& report, const NextStepsContext& at);

// How many takes of `report` failed INVALID_IMAGE_URL while naming a local image.
int served_image_refusals(const BatchReport& report);

// The summary's advice for `batch` as it stands in the database (its failed takes read there).
NextStepsContext next_steps_context(SQLite::Database& db, const std::string& batch, const std::string& db_path,
                                    const std::string& public_url);

// The table: a header and one line per take, columns as wide as their widest cell.
std::string failed_table(const std::vector<FailedTake>& takes);

// The batch's --public-url as its last run was given it ("" when none is remembered).
std::string remembered_public_url(SQLite::Database& db, const std::string& batch);

// Prints the failed takes of `batch` (every batch when empty); "no failed takes" when there are none.
Status print_failed(SQLite::Database& db, const std::optional<std::string>& batch, const std::string& db_path,
                    std::ostream& out);

}  // namespace reelq
