#pragma once
// What the listener needs from the queue, read before it starts (src/listen/): the batch's token
// and the local images its open jobs name. Kept apart from RunStore: the run loop never needs it.
#include <SQLiteCpp/Database.h>

#include <functional>
#include <string>
#include <vector>

#include "util/result.h"

namespace reelq {

// The batch's listener token; when it has none yet, `make` makes one and it is stored, once, so
// every later run of the batch (a resume after a crash) uses the same one.
Result<std::string> batch_listen_token(SQLite::Database& db, const std::string& batch,
                                       const std::function<std::string()>& make);

struct LocalImageUse {
  std::string uri;                   // file:///absolute/path, as the job's input holds it
  std::vector<std::int64_t> rows;    // the open job rows that name it
  std::vector<std::string> job_ids;  // their job ids, for messages
  // The rows of `rows` still `queued`: never sent, so a bad image can fail them without losing a
  // task (the others are at the API, or may be, and are followed to their end).
  std::vector<std::int64_t> unsent_rows;
  std::vector<std::string> unsent_job_ids;
};

// Every local image (file:// URI) that a job of the batch not yet in an end state names, in
// manifest order.
Result<std::vector<LocalImageUse>> open_local_images(SQLite::Database& db, const std::string& batch);

}  // namespace reelq
