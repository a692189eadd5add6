#pragma once
// Fetches a succeeded task's result files into the output folder, off the runner's thread
// (downloads go to the CDN, not the API, so they do not spend the request budget).
//
// Each file is streamed to a hidden temporary file beside its final name, checked (HTTP 200,
// Content-Length, non-empty, an MP4 'ftyp' box), then moved into place, so a file under its final
// name is always whole. A failed or truncated transfer is retried with backoff. A file already
// under the final name is never replaced: the result is saved beside it (NAME~2.mp4) unless it
// holds the very same bytes. A full disk (ENOSPC, EDQUOT) is not the result's fault: the take is
// stopped at once, with no attempt spent and nothing left behind, and reported as disk_full.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/resolver.h"
#include "api/transport.h"
#include "fetch/progress_floor.h"
#include "queue/run_store.h"
#include "util/clock.h"

namespace reelq {

struct DownloadTask {
  std::int64_t row = 0;
  std::string job_id;
  int take = 1;
  std::vector<std::string> urls;
  std::vector<FileRecord> done;      // files already on disk from an earlier run (and earlier attempts)
  std::filesystem::path output_dir;  // "" = DownloadOptions::output_dir (another batch's task: its own)
};

enum class DownloadFailure {
  none,
  failed,     // the transfer, the answer or the file was bad: attempts were spent
  disk_full,  // the output folder's disk (or quota) is full: nothing is wrong with the result
  refused,    // a result URL's host is one reelq does not fetch from (api/resolver.h): nothing
              // was requested, after one attempt, since another would be refused the same way
};

// How a download's bytes reach the disk: write(2), all of them. Returns 0, or the errno of the
// failure. Tests put a full disk here.
using WriteBytes = std::function<int(int fd, const char* data, size_t n)>;
int write_all(int fd, const char* data, size_t n);

struct DownloadResult {
  std::int64_t row = 0;
  bool ok = false;  // every file of the task is on disk under its final name
  DownloadFailure failure = DownloadFailure::none;
  std::vector<FileRecord> files;   // every file's latest record (written to the files table)
  std::string error;               // when !ok: the last failure (`failure` says of what kind)
  std::vector<std::string> notes;  // what was done differently, for the log (a result saved beside a file)
  int http_status = 0;
};

// A sora-2-pro result is tens of megabytes. A body past this is no video (an endless stream, with
// or without a Content-Length): the download stops before it can fill the disk.
inline constexpr std::int64_t k_max_result_bytes = std::int64_t{4} << 30;

// What bounds one file's transfer besides the transport's timeouts.
struct DownloadLimits {
  std::int64_t max_bytes = k_max_result_bytes;
  ProgressRule progress;   // judged on `clock`
  Clock* clock = nullptr;  // nullptr = no progress rule
  // When set, the transfer ends at the next bytes that arrive ("stopped"): a stop need not wait
  // for a long download to finish.
  const std::atomic<bool>* stop = nullptr;
  WriteBytes write_bytes = write_all;  // tests put a full disk here
  HostRule host_rule = HostRule::any;  // which hosts the URL may be on (connect_target)
  Resolver* resolver = nullptr;        // for HostRule::public_only; nullptr = the system's
};

struct DownloadOptions {
  std::filesystem::path output_dir;
  int workers = 4;             // 0 = download inline, inside start() (tests on a fake clock)
  int max_attempts = 5;        // per file, afresh for each task started: a take that failed its
                               // attempts earlier is tried again when it is started again
  TimeMs backoff_base = 1000;  // already time-scaled
  TimeMs backoff_cap = 60000;
  std::int64_t max_bytes = k_max_result_bytes;  // per file (settings: max_download_mb)
  ProgressRule progress;                        // its window already time-scaled
  WriteBytes write_bytes = write_all;
  // Which hosts result URLs may be on: download_options() takes it from the API base. `any` here
  // is for tests whose fake transport serves made-up hosts.
  HostRule host_rule = HostRule::any;
  std::shared_ptr<Resolver> resolver;  // names to addresses under public_only; nullptr = the system's
  // Called by a worker after it hands in a result (the run loop's wake-up); must be thread-safe.
  std::function<void()> on_finished;
};

// Temporary download files (.NAME.PID.part) in `dir` whose writer is gone: a reelq killed
// mid-download (SIGKILL, a power cut, the stop watchdog's exit) cannot remove its own. Those of a
// process still alive (another reelq sharing the folder) are left. Returns the names removed.
std::vector<std::string> remove_stale_parts(const std::filesystem::path& dir);

// The work of one file: fetch, verify, rename. Exposed for tests. `wire`, when given, receives
// what became of the request (not_sent: the host could not be reached, or its name did not
// resolve: nothing was fetched; refused: its host is not one limits.host_rule allows, nothing was sent,
// and the connection goes only to the address that was checked); `failure`, when given, what
// kind of failure `error` is. Redirects are not followed: a result URL must serve the file itself.
FileRecord download_file(HttpTransport& transport, const std::string& url, const std::filesystem::path& target,
                         std::string& error, int& http_status, WireOutcome* wire = nullptr,
                         const DownloadLimits& limits = {}, DownloadFailure* failure = nullptr);

class Downloader {
 public:
  Downloader(HttpTransport& transport, Clock& clock, DownloadOptions options);
  ~Downloader();

  void start(DownloadTask task);
  std::vector<DownloadResult> take_finished();
  size_t in_flight() const;  // queued, running, or finished but not yet taken
  size_t running() const;    // queued or running: after stop(), what has yet to end
  // Asks workers to stop; a transfer under way ends at its next bytes (its partial file removed).
  // Unfinished tasks are resumed next run.
  void stop();

 private:
  DownloadResult run(const DownloadTask& task);
  void worker();

  HttpTransport& m_transport;
  Clock& m_clock;
  DownloadOptions m_options;
  mutable std::mutex m_mutex;
  std::condition_variable m_cv;
  std::deque<DownloadTask> m_queue;
  std::vector<DownloadResult> m_finished;
  size_t m_busy = 0;
  std::atomic<bool> m_stopping{false};
  std::vector<std::thread> m_threads;
};

}  // namespace reelq
