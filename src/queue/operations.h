#pragma once
// What a person does to a batch between runs: requeue failures, cancel what has not started,
// find results that are paid for but not on disk. Each is one transaction, and each change of a
// job leaves an event row, so a report still shows the whole history.
#include <SQLiteCpp/Database.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cost/spend.h"
#include "queue/run_store.h"
#include "util/clock.h"
#include "util/result.h"

namespace reelq {

// Which jobs a command acts on. Empty lists mean "any".
struct JobSelector {
  std::optional<std::string> batch;     // else every batch
  std::vector<std::string> job_ids;     // --job ID (every take of that job)
  std::vector<std::string> fail_codes;  // --fail-code CODE (retry only)
  bool include_cancelled = false;       // --cancelled (retry only): cancelled takes come back too
};

struct RetryOutcome {
  int requeued = 0;     // back to `queued`: the next run submits them again
  int ambiguous = 0;    // of those, held as AMBIGUOUS_SUBMIT: their first submit may have made a task
  int lost = 0;         // of those, TASK_NOT_FOUND: their task was made and may yet render (paid twice)
  int dropped = 0;      // of those, KEY_DROPPED: their task was made with a key given up (--drop-key)
  int unnamed = 0;      // of those, held as TASK_ID_UNUSABLE: their first submit made a task (paid)
  int to_download = 0;  // their task succeeded but the download failed: back to `downloading`
  int to_poll = 0;      // their task's answers were unusable (fail_keeps_task): back to `running`
  int not_failed = 0;   // selected by --job but not failed: left alone
};

// Failed takes matching `sel` go back to work. A take whose task succeeded and only its download
// failed is not resubmitted (that would pay twice): it returns to `downloading`; one whose status
// answers were unusable (fail_keeps_task) returns to `running` and is asked again. A take held as
// AMBIGUOUS_SUBMIT, or whose task the API stopped knowing (TASK_NOT_FOUND), is resubmitted and
// flagged "possible duplicate charge"; one held as TASK_ID_UNUSABLE is resubmitted and noted
// "charged twice" (its first task was made). With include_cancelled,
// cancelled takes (which never reached the API) are requeued too. A --job that names no job of the
// batch is a usage error and nothing changes.
Result<RetryOutcome> retry_failed(SQLite::Database& db, Clock& clock, const JobSelector& sel);

struct CancelOutcome {
  int cancelled = 0;  // were queued
  int running = 0;    // at the API already (submitting, running or downloading): left to finish
  int finished = 0;   // already in an end state
};

// Queued takes matching `sel` become `cancelled`. Tasks already at the API cannot be cancelled
// (the API has no endpoint for it); they finish and their results are still downloaded.
Result<CancelOutcome> cancel_jobs(SQLite::Database& db, Clock& clock, const JobSelector& sel);

// A stretch of time for what a batch cost (`--since`/`--until`, one run): submits made in it.
struct TimeWindow {
  std::optional<TimeMs> since;  // inclusive; nullopt = from the start
  std::optional<TimeMs> until;  // exclusive; nullopt = until now
};

// Every submit of `batch` (every batch when empty) made in `window` that created a task (certain)
// or may have (a submit that went out with no answer, or was found mid-submit after a crash), with
// the input it sent and what the API last said of the task (its latest statusTask answer read,
// whenever that came), for pricing what the batch has cost (cost/spend.h).
Result<std::vector<SubmittedRender>> submitted_renders(SQLite::Database& db, const std::optional<std::string>& batch,
                                                       const TimeWindow& window = {});

// What `batch` has cost: its renders submitted in `window` priced by `prices` (model: the batch's).
Result<Spend> batch_spend(SQLite::Database& db, const std::string& batch, const std::string& model,
                          const PriceTable& prices, const TimeWindow& window = {});

struct StoredTakeSpec {
  JobState state = JobState::queued;
  std::string input_json;  // the spec it renders (or rendered)
  std::string fail_code;
  bool has_task = false;
  bool has_results = false;  // the API rendered it (resultUrls known): a paid render
};

// Every take of `batch` in the queue with its state and stored spec, by (job id, take): what
// `estimate` compares a manifest with.
Result<std::map<std::pair<std::string, int>, StoredTakeSpec>> take_specs(SQLite::Database& db,
                                                                         const std::string& batch);

struct MissingResult {
  std::string batch;
  std::string output_dir;
  std::int64_t row = 0;
  std::string job_id;
  int take = 1;
  int takes = 1;
  JobState state = JobState::downloading;
  std::string task_id;
  std::vector<std::string> urls;
  std::vector<FileRecord> files;  // as recorded; a recorded path may have been deleted since
  TimeMs finished_at = 0;         // when the API finished the task (or when reelq saw it)
};

// Takes in `downloading`, failed with DOWNLOAD_FAILED, or `succeeded` with a file missing from
// the output folder.
Result<std::vector<MissingResult>> missing_results(SQLite::Database& db, const std::optional<std::string>& batch);

// Result URLs expire: 15 days by the sora-2-pro page, 24 hours by another apixo page. reelq plans
// on the shorter one.
constexpr TimeMs k_result_url_ttl_ms = 24LL * 3600 * 1000;
constexpr TimeMs k_result_url_ttl_max_ms = 15LL * 24 * 3600 * 1000;

}  // namespace reelq
