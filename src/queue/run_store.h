#pragma once
// What the runner reads from and writes to the queue. Every change of a job is one transaction,
// together with the event row that explains it, so the database is consistent at any instant.
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "api/key_identity.h"
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
  // The key the take was submitted with (schema 9): "" for a take never submitted, or submitted by
  // a reelq before version 9 (taken as the key given now).
  std::string key_name;
  std::string key_fp;
  // Set for another batch's task at the same API, which this run polls because it holds one of
  // the key's slots (docs/scheduler.md): that batch's name and output folder.
  std::string foreign_batch;
  std::string foreign_model;
  std::string foreign_output_dir;
  bool foreign() const { return !foreign_batch.empty(); }
};

struct BatchInfo {
  std::string name;
  std::string model;
  std::string manifest_path;
  std::string settings_json;
  std::string output_dir;  // "" until a run has resolved it
  std::string api_base;    // "" until a run (schema 4 or later) has recorded where it sent the batch
  double time_scale = 0;   // 0 when api_base is ""
  // The setting flags of its last run or resume (schema 7): {"on_ambiguous":"hold",...}; "{}" if none.
  std::string run_flags_json = "{}";
};

// One API exchange (or download), as the events table keeps it.
struct EventRecord {
  std::string endpoint;  // generateTask | statusTask | balance | download | recovery | ... (docs/queue.md)
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
  std::string path;  // the file's name inside `dir`; "" until downloaded
  std::int64_t bytes = 0;
  std::string sha256;
  int attempts = 0;
  std::string dir;   // absolute folder the file was written to (a batch's folder can change later)
  std::string note;  // in memory only: what the download had to do differently (a name kept aside)
};

// Where a recorded file is: its own folder, else (a record without one) the batch's.
std::filesystem::path file_location(const FileRecord& file, const std::filesystem::path& batch_dir);

// Whether the file is on disk as reelq recorded it: there, and of the recorded size (a file
// emptied, truncated or replaced since is not the result; its SHA-256 is not read, for speed).
bool file_intact(const FileRecord& file, const std::filesystem::path& batch_dir);

// One finished render as stored: the API's cost_time (else completeTime - createTime), and how
// long its take was known (its submit to its end or last update; 0 when unknown), both in ms.
struct ObservedRender {
  std::string input_json;
  TimeMs took = 0;
  TimeMs lifetime = 0;
};

class RunStore {
 public:
  RunStore(SQLite::Database& db, Clock& clock) : m_db(db), m_clock(clock) {}

  Result<BatchInfo> batch(const std::string& name);

  // A batch-level event (no job): the balance check before a run.
  Status log_event(const EventRecord& event);
  Status set_output_dir(const std::string& batch, const std::string& dir);
  // Where the batch's tasks are sent from now on, and the runner's time scale: written when a run
  // starts, so resume goes back to the same API and render times are read at their own scale.
  Status record_api(const std::string& batch, const std::string& api_base, double time_scale);
  // Takes of the batch that were ever sent to the API (a taskId, or an attempt made).
  Result<int> takes_sent(const std::string& batch);
  // The setting flags a resume gives the batch again (BatchInfo::run_flags_json).
  Status record_run_flags(const std::string& batch, const std::string& flags_json);

  // A rehearsal's database (`reelq run --rehearse`) is marked so; it never talks to the real API.
  Result<bool> is_rehearsal();
  Status mark_rehearsal();
  // For what is only said (figures marked simulated, advice to rehearse again): is_rehearsal, with
  // an unreadable mark taken as "no" (the guards that refuse use is_rehearsal and its error).
  bool said_rehearsal() {
    auto r = is_rehearsal();
    return r && *r;
  }

  // The folders holding the batch's downloaded files: more than one once `--output-dir` moved it.
  Result<std::vector<std::string>> file_folders(const std::string& batch);

  // Tasks of the batch at the API that were submitted in callback mode (their callbacks need the
  // listener).
  Result<int> open_callback_tasks(const std::string& batch);

  // Takes given up on at their render deadline (failed, RENDER_TIMEOUT, taskId kept) go back to
  // `running`, so the run about to start asks the API about them again and collects a late result.
  // One transaction, with a `recovery` event each. Returns how many.
  Result<int> reopen_timed_out(const std::string& batch);
  // Takes given up with --drop-key (failed, KEY_DROPPED, taskId kept) whose key is back, one of
  // `key_fps`: they go back to `running` and are polled with it, so a drop made by mistake costs
  // nothing (docs/scheduler.md "A task belongs to its key"). One transaction, an event each.
  Result<int> reopen_dropped(const std::string& batch, const std::vector<std::string>& key_fps);
  // How many takes wait for that (of `batch`, or of every batch).
  Result<int> count_timed_out(const std::optional<std::string>& batch);

  // The batch's rows not in an end state, in manifest order.
  Result<std::vector<JobRow>> unfinished_jobs(const std::string& batch);
  // Tasks of the database's other batches that hold a slot of the same API key: `running` or
  // `submitting` rows of batches whose recorded API base is `api_base` or unknown (recorded by no
  // run yet: an older reelq's). Marked foreign(), in manifest order per batch.
  // Only tasks made with `key_fp` (or before schema 9, by an unknown key): another key's tasks hold
  // none of this key's slots.
  Result<std::vector<JobRow>> foreign_active_jobs(const std::string& batch, const std::string& api_base,
                                                  const std::string& key_fp);

  // Durations of the finished renders of every batch run against `api_base`, by input class, for
  // learning when to poll. Each was measured at its batch's time scale and is returned at
  // `time_scale` (ms / its scale * time_scale), so a real run never learns a simulator's 2-second
  // renders. Batches of other APIs, and of no recorded API, teach nothing: another API's pace says
  // nothing about this one's. As stored: the caller bounds each by its lifetime (sched/render_time.h),
  // so a value an older reelq stored unbounded is not believed either.
  Result<std::vector<ObservedRender>> observed_renders(const std::string& api_base, double time_scale);

  // When the API requests of the last `window` ms were answered (from the events table), so a
  // restarted runner does not burst past the rate cap. Requests that never left the machine
  // (outcome `unreachable`) are not among them. With `key_fp`, one key's: requests about a job
  // whose task was made with another key are left out; those that name no key (balance reads, rows
  // from before schema 9) count for every key.
  Result<std::vector<TimeMs>> recent_requests(TimeMs since, const std::string& key_fp = "");

  // Submits whose fate was unknown (ambiguous) or that made a task reelq cannot name
  // (created_unnamed), and tasks given up with --drop-key whose take was requeued since (`retry`:
  // the old task may still render), recorded since `since`: when, the job's input, and the key it
  // was sent with ("" before schema 9). Each may hold a slot of that key.
  struct AmbiguousSubmit {
    TimeMs at = 0;
    std::string input_json;
    std::string key_fp;
  };
  Result<std::vector<AmbiguousSubmit>> recent_ambiguous_submits(TimeMs since);

  struct Counts {
    std::map<JobState, int> by_state;
    std::map<std::string, int> failures_by_code;
  };
  Result<Counts> counts(const std::string& batch);

  // The intent to submit: the row goes from `queued` to `submitting` with the exact body. Returns
  // the row's state afterwards: `submitting`, or what someone else (`reelq cancel`) made it since
  // it was read, in which case it must not be submitted.
  // The key it goes out with is recorded in the same write: every later poll uses that key.
  Result<JobState> begin_submit(std::int64_t row, const std::string& body, const KeyIdentity& key);

  // Tasks of `batch` at the API (running, a taskId known) made with a key whose fingerprint is not
  // among `fingerprints`: they can be polled only with the key that made them. Manifest order.
  Result<std::vector<JobRow>> tasks_of_other_keys(const std::string& batch,
                                                  const std::vector<std::string>& fingerprints);
  // `reelq resume --drop-key NAME`: the batch's tasks made with the key named NAME (by name or
  // fingerprint) and not among `fingerprints` are given up: failed KEY_DROPPED, with an event. The
  // tasks may still render and be charged; nobody can collect them without that key. Returns how
  // many.
  Result<int> drop_key_tasks(const std::string& batch, const std::string& name,
                             const std::vector<std::string>& fingerprints);

  // Applies `update` to the row and appends `event` (when given), in one transaction (the turn's,
  // while a TurnWrites is open).
  Status update(std::int64_t row, const JobUpdate& update, const EventRecord* event);

  // The updates of one turn of the run loop (the answers it applies together) in one transaction:
  // one commit for several answers. Nothing else may write through this store while it is open.
  // commit() says whether they were stored; a TurnWrites not committed rolls them back.
  class TurnWrites {
   public:
    explicit TurnWrites(RunStore& store);
    ~TurnWrites();
    TurnWrites(const TurnWrites&) = delete;
    TurnWrites& operator=(const TurnWrites&) = delete;
    Status commit();

   private:
    RunStore& m_store;
    std::unique_ptr<SQLite::Transaction> m_tx;
  };

  Result<std::vector<FileRecord>> files(std::int64_t row);
  Status record_file(std::int64_t row, const FileRecord& file, const std::string& error);

 private:
  Result<int> reopen_failed(const std::string& batch, const std::string& fail_code,
                            const std::function<bool(const std::string& key_fp)>& keep, const std::string& why);
  void insert_event(std::optional<std::int64_t> row, TimeMs at, const EventRecord& event);
  // The batch's jobs for which `condition` (SQL over the jobs table, written here, never input) holds.
  Result<int> count_jobs(const std::string& batch, const char* condition);
  // One text column of the batch's row (a column name written here, never input), and updated_at.
  Status set_batch_text(const std::string& batch, const char* column, const std::string& value);

  // A statement prepared once for `sql` (written here, never input), reset and unbound.
  SQLite::Statement& prepared(const std::string& sql);

  SQLite::Database& m_db;
  Clock& m_clock;
  bool m_in_turn = false;  // a TurnWrites is open: update() joins its transaction
  // The hot statements, prepared once: the loop writes one or two rows per API answer. The store
  // lives shorter than the database (it is made from one), so these are finalized first.
  std::unordered_map<std::string, std::unique_ptr<SQLite::Statement>> m_prepared;
};

}  // namespace reelq
