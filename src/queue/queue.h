#pragma once
// The persistent job queue: batches and their job takes, in the SQLite database.
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "manifest/manifest.h"
#include "queue/database.h"
#include "queue/job_state.h"
#include "util/clock.h"
#include "util/result.h"

namespace reelq {

enum class OnChanged { refuse, replace };  // --replace-changed

struct EnqueueReport {
  int added = 0;      // new takes
  int unchanged = 0;  // takes already queued with the same spec
  int replaced = 0;   // takes requeued with a changed spec (OnChanged::replace): unsubmitted, or
                      // failed without a render
  int restored = 0;   // takes cancelled by lowering `takes`, back in the queue as it was raised again
  int cancelled = 0;  // unsubmitted takes beyond a lowered `takes` (OnChanged::replace)
};

struct BatchSummary {
  std::string name;
  std::string model;
  TimeMs created_at = 0;
  TimeMs updated_at = 0;           // the last change to the batch or any of its jobs
  std::map<JobState, int> counts;  // every state present, zero included
  int total() const;
};

class Queue {
 public:
  Queue(std::unique_ptr<SQLite::Database> db, Clock& clock);
  static Result<std::unique_ptr<Queue>> open(const std::filesystem::path& path, Clock& clock,
                                             DbPrivacy privacy = DbPrivacy::umask);

  // Adds the manifest's job takes that are not in the queue yet, in one transaction. A job whose
  // spec differs from the stored one is a conflict naming the job and the field; with
  // OnChanged::replace, its takes that were never submitted are updated and requeued instead.
  // On any conflict nothing is written.
  Result<EnqueueReport> enqueue(const Manifest& manifest, const std::filesystem::path& manifest_path,
                                OnChanged on_changed);

  // Per batch, counts per state; one batch when `batch` is given (an unknown one is an error).
  Result<std::vector<BatchSummary>> summaries(const std::optional<std::string>& batch);

  SQLite::Database& db() { return *m_db; }

 private:
  std::unique_ptr<SQLite::Database> m_db;
  Clock& m_clock;
};

}  // namespace reelq
