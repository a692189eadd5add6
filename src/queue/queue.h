#pragma once
// The persistent job queue: batches and their job takes, in the SQLite database.
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <filesystem>
#include <functional>
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
enum class OnRemoved { cancel, keep };     // --keep-removed
enum class IntoBatch { no, yes };          // --into-batch

struct EnqueueOptions {
  OnChanged on_changed = OnChanged::refuse;
  // Queued takes of jobs that are no longer in the manifest: cancelled (the manifest is what is
  // rendered), or left queued as they are.
  OnRemoved on_removed = OnRemoved::cancel;
  // A batch made from another manifest file: refused, or (yes) joined on purpose, its own manifest
  // and settings kept and nothing of it cancelled.
  IntoBatch into_batch = IntoBatch::no;
  // How messages that say what to type start: the command as the user invoked reelq.
  std::string command = "reelq";
  // Asked first inside the enqueue's transaction (queue/handoff.h): an error stops the enqueue
  // before anything is written.
  std::function<Status(SQLite::Database&)> precondition;
};

struct EnqueueReport {
  int added = 0;      // new takes
  int unchanged = 0;  // takes already queued with the same spec, or keeping the spec they were rendered with
  int replaced = 0;   // takes requeued with a changed spec (OnChanged::replace): unsubmitted, or
                      // failed without a render
  int restored = 0;   // cancelled takes back in the queue as the manifest asks for them again (takes raised
                      // again, a job put back, an edit reverted)
  int cancelled = 0;  // unsubmitted takes beyond a lowered `takes`
  int held = 0;       // queued takes of changed jobs left out (OnChanged::refuse): cancelled
  // Jobs no longer in the manifest, in queue order: those with queued takes (cancelled, unless
  // OnRemoved::keep), and those with takes at the API (left to finish: they are paid for, so a run
  // collects them).
  std::vector<std::string> removed;
  std::vector<std::string> removed_at_api;
  // "FILE:LINE:COL: ..." lines: changed jobs left as they are (OnChanged::refuse), and takes that
  // keep the spec they were rendered with (OnChanged::replace).
  std::vector<std::string> left_out;
  std::vector<std::string> kept;
  // "OLD -> NEW": a job new to the queue asking for exactly what a job no longer in the manifest
  // renders or rendered (its id changed: a vary: written in another order, a renamed job, a row
  // inserted above it in a job list). A run renders and pays for it again. NEW from a jobs_from:
  // list names its row: "shots-5 at shots.csv:5:1".
  std::vector<std::string> renamed;
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

  // Makes the queue hold what the manifest says, in one transaction: adds the job takes not in the
  // queue yet; a job whose spec differs from the stored one is left as it is and reported (the rest
  // goes ahead), its queued takes cancelled; with OnChanged::replace, its takes that were not
  // rendered are updated and requeued instead, and those rendered or at the API keep their spec
  // (a raised `takes` renders the new one). Queued takes of jobs no longer in the manifest are
  // cancelled (EnqueueOptions::on_removed). A batch of another model, or made from another
  // manifest file (unless IntoBatch::yes), is a conflict and nothing is written.
  Result<EnqueueReport> enqueue(const Manifest& manifest, const std::filesystem::path& manifest_path,
                                const EnqueueOptions& options);
  Result<EnqueueReport> enqueue(const Manifest& manifest, const std::filesystem::path& manifest_path,
                                OnChanged on_changed) {
    EnqueueOptions options;
    options.on_changed = on_changed;
    return enqueue(manifest, manifest_path, options);
  }

  // The conflict of enqueueing `manifest_path` into its batch when that batch was made from
  // another manifest file (same_manifest_file), naming that file and the ways out; nullopt when
  // the batch is new or its own.
  Result<std::optional<Error>> other_manifest(const Manifest& manifest, const std::filesystem::path& manifest_path);

  // Per batch, counts per state; one batch when `batch` is given (an unknown one is an error).
  Result<std::vector<BatchSummary>> summaries(const std::optional<std::string>& batch);

  SQLite::Database& db() { return *m_db; }

 private:
  std::unique_ptr<SQLite::Database> m_db;
  Clock& m_clock;
};

}  // namespace reelq
