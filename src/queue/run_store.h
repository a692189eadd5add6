#pragma once
// What the runner reads from and writes to the queue. Every change of a job is one transaction,
// together with the event row that explains it, so the database is consistent at any instant.
#include <SQLiteCpp/Database.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "queue/job_state.h"
#include "util/clock.h"
#include "util/result.h"

namespace reelq {

struct JobRow {
  std::int64_t id = 0;
  std::string job_id;
  int take = 1;
  int takes = 1;  // how many takes the job has (decides its file names)
  int position = 0;
  std::string input_json;
  JobState state = JobState::queued;
  std::string task_id;
  int attempts = 0;
  TimeMs next_at = 0;
  TimeMs submitted_at = 0;
  TimeMs last_poll_at = 0;  // in memory only: when this run last polled it
  bool hinted = false;      // in memory only: a callback for it arrived since it was last polled
  bool ambiguous = false;
  std::string result_urls;  // JSON array
};

struct BatchInfo {
  std::string name;
  std::string model;
  std::string manifest_path;
  std::string settings_json;
  std::string output_dir;  // "" until a run has resolved it
};

// One API exchange (or download), as the events table keeps it.
struct EventRecord {
  std::string endpoint;  // generateTask | statusTask | balance | download | recovery
  int http_status = 0;   // 0 = no answer
  std::optional<int> body_code;
  std::string message;
  std::string task_id;
  std::string outcome;
};

// The fields of a job row to change; unset fields keep their value.
struct JobUpdate {
  std::optional<JobState> state;
  std::optional<std::string> task_id;
  std::optional<int> attempts;
  std::optional<std::string> request_body;
  std::optional<std::string> fail_code;
  std::optional<std::string> fail_msg;
  std::optional<TimeMs> next_at;
  std::optional<TimeMs> submitted_at;
  std::optional<TimeMs> completed_at;
  std::optional<std::int64_t> api_create_time;
  std::optional<std::int64_t> api_complete_time;
  std::optional<std::int64_t> cost_time_ms;
  std::optional<std::string> result_urls;
  std::optional<std::string> note;
  std::optional<bool> ambiguous;
  bool clear_failure = false;  // fail_code and fail_msg back to NULL (a failed download fetched later)
};

struct FileRecord {
  int idx = 0;
  std::string url;
  std::string path;  // relative to the output folder; "" until downloaded
  std::int64_t bytes = 0;
  std::string sha256;
  int attempts = 0;
};

class RunStore {
 public:
  RunStore(SQLite::Database& db, Clock& clock) : m_db(db), m_clock(clock) {}

  Result<BatchInfo> batch(const std::string& name);

  // A batch-level event (no job): the balance check before a run.
  Status log_event(const EventRecord& event);
  Status set_output_dir(const std::string& batch, const std::string& dir);

  // Ids of up to `limit` open jobs whose images include a local file (a file:// URI).
  Result<std::vector<std::string>> jobs_with_local_images(const std::string& batch, int limit);

  // The batch's rows not in an end state, in manifest order.
  Result<std::vector<JobRow>> unfinished_jobs(const std::string& batch);
  // Durations (ms) of the batch's and earlier batches' finished renders, by input class, for
  // learning when to poll: (input_json, api cost_time or observed time).
  Result<std::vector<std::pair<std::string, TimeMs>>> observed_renders();

  // When the API requests of the last `window` ms were answered (from the events table), so a
  // restarted runner does not burst past the rate cap.
  Result<std::vector<TimeMs>> recent_requests(TimeMs since);

  // Submits whose fate was unknown (ambiguous), recorded since `since`: when, and the job's input.
  Result<std::vector<std::pair<TimeMs, std::string>>> recent_ambiguous_submits(TimeMs since);

  struct Counts {
    std::map<JobState, int> by_state;
    std::map<std::string, int> failures_by_code;
  };
  Result<Counts> counts(const std::string& batch);

  // The intent to submit: the row goes from `queued` to `submitting` with the exact body. Returns
  // the row's state afterwards: `submitting`, or what someone else (`reelq cancel`) made it since
  // it was read, in which case it must not be submitted.
  Result<JobState> begin_submit(std::int64_t row, const std::string& body);

  // Applies `update` to the row and appends `event` (when given), in one transaction.
  Status update(std::int64_t row, const JobUpdate& update, const EventRecord* event);

  Result<std::vector<FileRecord>> files(std::int64_t row);
  Status record_file(std::int64_t row, const FileRecord& file, const std::string& error);

 private:
  void insert_event(std::optional<std::int64_t> row, TimeMs at, const EventRecord& event);

  SQLite::Database& m_db;
  Clock& m_clock;
};

}  // namespace reelq
