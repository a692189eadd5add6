#pragma once
// What `run` and `enqueue` say about an enqueue beyond its counts: jobs no longer in the manifest,
// changed jobs left out, takes that keep the spec they were rendered with. Pure, so the texts are
// tested as they are printed.
#include <string>
#include <vector>

#include "queue/queue.h"

namespace reelq {

// The enqueue options the flags --replace-changed, --keep-removed and --into-batch ask for.
EnqueueOptions enqueue_options(bool replace_changed, bool keep_removed, bool into_batch);

struct NoticeContext {
  std::string manifest_name;  // the manifest's file name, as the cancelled takes' note names it
  std::string db;             // the queue database, for the commands suggested
  std::string batch;
  OnRemoved on_removed = OnRemoved::cancel;
  // The manifest's jobs_from: lists, as written there: a job "no longer in" the batch may have
  // been a row of one, so they are named beside the manifest.
  std::vector<std::string> job_lists{};
};

// The context for enqueueing `m`, read from `manifest_path`, into the queue at `db`.
NoticeContext notice_context(const Manifest& m, const std::string& manifest_path, const std::string& db,
                             OnRemoved on_removed);

// One line each (without the "reelq: " prefix), in the order: removed, removed at the API, left
// out, kept.
std::vector<std::string> enqueue_notices(const EnqueueReport& report, const NoticeContext& context);

}  // namespace reelq
