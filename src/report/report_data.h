#pragma once
// What a report shows of a batch, read from the queue database in one pass: every job take with
// its request, its outcome, its files and (optionally) its event history. The CSV, JSON and HTML
// writers all take this, so the three formats cannot disagree.
#include <SQLiteCpp/Database.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cost/balance_settle.h"
#include "cost/spend.h"
#include "queue/job_state.h"
#include "queue/operations.h"
#include "util/clock.h"
#include "util/result.h"

namespace reelq {

struct ReportFile {
  int idx = 0;
  std::string url;
  // Relative to the batch's output folder, or absolute when the file was written to a folder the
  // batch used before (`resume --output-dir`); "" until on disk.
  std::string path;
  std::int64_t bytes = 0;
  std::string sha256;
  std::string last_error;
};

struct ReportEvent {
  TimeMs at = 0;
  std::string endpoint;
  int http_status = 0;  // 0 = no answer
  std::optional<int> body_code;
  std::string message;
  std::string task_id;
  std::string outcome;
};

struct ReportRow {
  std::string batch;
  std::string job_id;
  int take = 1;
  int takes = 1;
  int position = 0;
  std::string mode;
  int duration = 0;
  std::string size;
  std::string resolution;
  std::string prompt;
  std::vector<std::string> images;
  JobState state = JobState::queued;
  std::string task_id;
  std::string fail_code;
  std::string fail_msg;
  int attempts = 0;
  TimeMs submitted_at = 0;  // 0 = never
  TimeMs completed_at = 0;  // 0 = not in an end state
  std::optional<TimeMs> api_create_time;
  std::optional<TimeMs> api_complete_time;
  std::optional<TimeMs> cost_time_ms;
  std::vector<std::string> result_urls;
  std::vector<ReportFile> files;
  std::string note;
  std::vector<ReportEvent> events;  // oldest first; empty unless asked for

  // costTime, else completeTime - createTime, in seconds; none before the task ended.
  std::optional<double> render_seconds() const;
  // When the task was at the API: from createTime (else our submit) to completeTime (else our
  // completion); `end` stays empty while it runs.
  std::optional<TimeMs> ran_from() const;
  std::optional<TimeMs> ran_until() const;
};

struct BatchReport {
  std::string name;
  std::string model;
  std::string output_dir;  // absolute; "" if no run has resolved it yet
  std::string manifest_path;
  // The database's own id (queue_identity): the review page keys its marks by it and the batch, so
  // two databases with a batch of the same name never share marks in one browser.
  std::string queue_id;
  // The database is a rehearsal's (`reelq run --rehearse`): its videos are the simulator's
  // placeholders and nothing was charged; reports say so, and `deliver` refuses it unless asked.
  bool rehearsal = false;
  int max_concurrent = 10;  // from the batch's settings, for the timeline's slots
  TimeMs created_at = 0;
  TimeMs updated_at = 0;
  std::vector<ReportRow> rows;  // manifest order, then take
  // What the batch has cost so far (tasks created, priced; possible duplicate charges), when the
  // caller priced it (attach_spend); the page and the JSON show it.
  std::optional<Spend> spend;
  std::map<std::string, Spend> spend_by_key;  // with the spend: by the key of each take
  std::string currency = "USD";
  // The balance difference of the batch's runs read before and after (runs = 0: none), and what
  // those runs created, to set it against (cost/balance_settle.h).
  BalanceAround balance{std::nullopt, std::nullopt, 0, 0};
  Spend spend_in_read;
};

// Prices what each batch's submits in `window` created (cost/spend.h) into `reports`, with the
// balance of its runs in the window (queue/run_ledger.h).
Status attach_spend(SQLite::Database& db, const PriceTable& prices, std::vector<BatchReport>& reports,
                    const TimeWindow& window = {});

enum class WithEvents { no, yes };

// One batch, or every batch in the database when `batch` is empty (oldest first). An unknown batch
// name is a usage error that lists the batches there are.
Result<std::vector<BatchReport>> load_reports(SQLite::Database& db, const std::optional<std::string>& batch,
                                              WithEvents with_events);

// The names of the batches in the database, oldest first.
Result<std::vector<std::string>> batch_names(SQLite::Database& db);

}  // namespace reelq
