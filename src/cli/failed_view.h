#pragma once
// `reelq status --failed`: every failed take with its reason and what to type, the summary's advice
// (cli/next_steps.h) for that take alone, instead of a 22-column CSV of every row.
#include <SQLiteCpp/Database.h>

#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "cli/job_origins.h"
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

// Fills at.listed_at, at.edit_lists and at.edit_in_manifest for the failed takes of `report` that
// need their job edited, from `origins` (cli/job_origins.h; empty: all are the manifest's).
void add_edit_places(NextStepsContext& at, const BatchReport& report, const std::map<std::string, JobOrigin>& origins);

// Whether some failed take of `report` needs its job edited (Remedy::edit_job).
bool needs_edit(const BatchReport& report);

// The summary's advice for `batch` as it stands in the database (its failed takes read there), for
// the batch's manifest at `manifest_path` (read again to place the jobs to edit).
NextStepsContext next_steps_context(SQLite::Database& db, const std::string& batch, const std::string& db_path,
                                    const std::string& public_url, const std::string& manifest_path);

// The table: a header and one line per take, columns as wide as their widest cell.
std::string failed_table(const std::vector<FailedTake>& takes);

// The batch's --public-url as its last run was given it ("" when none is remembered).
std::string remembered_public_url(SQLite::Database& db, const std::string& batch);

// Prints the failed takes of `batch` (every batch when empty); "no failed takes" when there are none.
Status print_failed(SQLite::Database& db, const std::optional<std::string>& batch, const std::string& db_path,
                    std::ostream& out);

}  // namespace reelq
