#include "fetch/downloader.h"

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <optional>

#include "fetch/output_paths.h"
#include "util/backoff.h"
#include "util/safe_file.h"

namespace reelq {

namespace fs = std::filesystem;

namespace {

constexpr int k_max_kept_aside = 1000;  // NAME~2 ... NAME~1000, then give up with an error

std::string sha256_of_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    sha.update(buf, static_cast<size_t>(in.gcount()));
  }
  return Poco::DigestEngine::digestToHex(sha.digest());
}

// Whether `path` already holds exactly these bytes (then there is nothing to write).
bool holds_same_bytes(const fs::path& path, std::int64_t bytes, const std::string& sha256) {
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  return !ec && static_cast<std::int64_t>(size) == bytes && sha256_of_file(path) == sha256;
}

// An MP4 begins with its 'ftyp' box: a 4-byte size, then "ftyp".
bool is_mp4_head(const std::string& head) {
  return head.size() >= 8 && head.compare(4, 4, "ftyp") == 0;
}

// An untrusted header, fit for a log line: printable ASCII only, cut to `max` characters.
std::string printable_prefix(const std::string& text, size_t max) {
  std::string out;
  for (char c : text.substr(0, max)) {
    out += c >= 0x20 && c < 0x7f ? c : '?';
  }
  return text.size() > max ? out + "..." : out;
}

enum class Placed { moved, already_there, taken, failed };

// Moves `part` to `target` only if no file is there, atomically: link() fails with EEXIST rather
// than replace, so even another program writing the same name at the same moment is not
// overwritten. Filesystems without hard links get a check-then-rename.
Placed place_if_free(const fs::path& part, const fs::path& target, std::int64_t bytes, const std::string& sha256,
                     std::string& error) {
  std::error_code ec;
  if (::link(part.c_str(), target.c_str()) == 0) {
    fs::remove(part, ec);
    return Placed::moved;
  }
  int err = errno;
  if (err != EEXIST && !fs::exists(target, ec)) {
    fs::rename(part, target, ec);
    if (ec) {
      error = fmt::format("cannot move the file into place: {}", ec.message());
      return Placed::failed;
    }
    return Placed::moved;
  }
  if (holds_same_bytes(target, bytes, sha256)) {
    fs::remove(part, ec);
    return Placed::already_there;
  }
  return Placed::taken;
}

bool is_disk_full(int err) {
  return err == ENOSPC || err == EDQUOT;
}

// A temporary file being written; closed (and its close checked) before it is used. Made new
// (util/safe_file.h): a `.NAME.PID.part` planted as a link is refused, never written through.
class PartFile {
 public:
  explicit PartFile(const fs::path& path) {
    std::optional<Error> refusal;
    m_fd = open_for_writing(path, WriteMode::fresh, 0666, m_errno, refusal);
    if (refusal) {
      m_errno = EPERM;  // said by refusal(), not by this errno
      m_refusal = refusal->message;
    }
  }
  ~PartFile() { close(); }
  PartFile(const PartFile&) = delete;
  PartFile& operator=(const PartFile&) = delete;

  bool write(const char* data, size_t n, const WriteBytes& write_bytes) {
    if (m_errno == 0) {
      m_errno = write_bytes(m_fd, data, n);
    }
    return m_errno == 0;
  }
  // Some filesystems (NFS, quotas) report a full disk only here.
  void close() {
    if (m_fd >= 0 && ::close(m_fd) != 0 && m_errno == 0) {
      m_errno = errno;
    }
    m_fd = -1;
  }
  int error() const { return m_errno; }  // 0, or the first errno of open, write or close
  // Why the file could not be opened, whole ("PATH is a symbolic link; ..."), or empty.
  const std::string& refusal() const { return m_refusal; }

 private:
  int m_fd = -1;
  int m_errno = 0;
  std::string m_refusal;
};

// Where the request for `url` connects, decided once and before anything is written: the address
// that was checked (api/resolver.h), or "" for the transport to resolve (HostRule::any). nullopt,
// with `error`, `wire` and `failure` set, when it is to go nowhere.
std::optional<std::string> checked_address(const std::string& url, const DownloadLimits& limits, std::string& error,
                                           WireOutcome* wire, DownloadFailure* failure) {
  std::unique_ptr<Resolver> system;
  Resolver* resolver = limits.resolver;
  if (!resolver && limits.host_rule == HostRule::public_only) {
    system = make_system_resolver();
    resolver = system.get();
  }
  ConnectTarget at = resolver ? connect_target(url, limits.host_rule, *resolver) : ConnectTarget{};
  if (at.verdict == ConnectTarget::Verdict::go) {
    return at.address;
  }
  bool refused = at.verdict == ConnectTarget::Verdict::refused;
  if (wire) {
    *wire = refused ? WireOutcome::refused : WireOutcome::not_sent;
  }
  if (failure && refused) {
    *failure = DownloadFailure::refused;
  }
  error = refused ? fmt::format("{}: refused, nothing requested", at.why) : at.why;
  return std::nullopt;
}

}  // namespace

std::vector<std::string> remove_stale_parts(const fs::path& dir) {
  std::vector<std::string> removed;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    // ".NAME.PID.part", as download_file names them.
    if (!name.starts_with(".") || !name.ends_with(".part") || !it->is_regular_file(ec)) {
      continue;
    }
    std::string stem = name.substr(0, name.size() - std::string_view(".part").size());
    size_t dot = stem.rfind('.');
    std::string digits = dot == std::string::npos ? "" : stem.substr(dot + 1);
    if (digits.empty() || digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos) {
      continue;  // not one of ours
    }
    pid_t pid = static_cast<pid_t>(std::stol(digits));
    bool alive = pid == ::getpid() || ::kill(pid, 0) == 0 || errno == EPERM;
    std::error_code rm;
    if (!alive && fs::remove(it->path(), rm)) {
      removed.push_back(name);
    }
  }
  return removed;
}

int write_all(int fd, const char* data, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, data, n);
    if (w < 0) {
      if (errno == EINTR) {
        continue;
      }
      return errno;
    }
    data += w;
    n -= static_cast<size_t>(w);
  }
  return 0;
}

FileRecord download_file(HttpTransport& transport, const std::string& url, const fs::path& target, std::string& error,
                         int& http_status, WireOutcome* wire, const DownloadLimits& limits, DownloadFailure* failure) {
  FileRecord rec;
  if (failure) {
    *failure = DownloadFailure::failed;  // until it is known to be otherwise
  }
  rec.url = url;
  http_status = 0;
  std::optional<std::string> address = checked_address(url, limits, error, wire, failure);
  if (!address) {
    return rec;
  }
  // The process id keeps two reelqs writing one folder (two batches sharing --output-dir) out of
  // each other's temporary files; each then moves its own whole file into place, never over another.
  fs::path part = target.parent_path() / fmt::format(".{}.{}.part", target.filename().string(), ::getpid());
  std::error_code ec;
  fs::create_directories(target.parent_path(), ec);
  PartFile out(part);
  // What a failure to write says: which file, and what the system said (a full disk above all).
  auto write_failed = [&] {
    if (failure && is_disk_full(out.error())) {
      *failure = DownloadFailure::disk_full;
    }
    if (!out.refusal().empty()) {
      return out.refusal();
    }
    return fmt::format("cannot write {}: {}", part.string(), std::strerror(out.error()));
  };
  if (out.error() != 0) {
    error = write_failed();
    return rec;
  }
  Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
  std::int64_t bytes = 0;
  std::string head;
  std::string stopped;  // why the sink ended the transfer early, if it did
  HttpRequest req;
  req.url = url;
  req.connect_to = *address;
  std::optional<ProgressFloor> floor;
  if (limits.clock) {
    floor.emplace(limits.progress, limits.clock->steady_ms());  // an interval: never the wall clock
  }
  HttpResponse r = transport.fetch(req, [&](const char* data, size_t n) {
    bool written = out.write(data, n, limits.write_bytes);
    sha.update(data, n);
    if (head.size() < 12) {
      head.append(data, std::min(n, 12 - head.size()));
    }
    bytes += static_cast<std::int64_t>(n);
    if (limits.stop && *limits.stop) {
      stopped = "stopped";
    } else if (bytes > limits.max_bytes) {
      stopped = fmt::format("download over {} bytes, stopped: not a video", limits.max_bytes);
    } else if (head.size() >= 8 && !is_mp4_head(head)) {
      stopped = "download is not an MP4 file";  // no need to read the rest of an endless non-video
    } else if (floor && !floor->on_progress(limits.clock->steady_ms(), bytes)) {
      stopped = floor->why();
    }
    return written && stopped.empty();
  });
  out.close();
  http_status = r.status;
  if (wire) {
    *wire = r.wire;
  }
  auto fail = [&](std::string why) {
    error = std::move(why);
    fs::remove(part, ec);
    return rec;
  };
  // A write that failed stopped the transfer: that, not the broken-off transfer, is the news.
  if (out.error() != 0) {
    return fail(write_failed());
  }
  if (r.wire != WireOutcome::answered) {
    return fail(fmt::format("the transfer broke off: {}", r.error));
  }
  if (r.status >= 300 && r.status < 400) {
    return fail(fmt::format("download answered HTTP {}, a redirect to '{}': reelq does not follow redirects", r.status,
                            printable_prefix(r.header("Location"), 200)));
  }
  if (r.status != 200) {
    return fail(fmt::format("download answered HTTP {}", r.status));
  }
  if (!stopped.empty()) {
    return fail(stopped);
  }
  std::string length = r.header("Content-Length");
  if (!length.empty() && length != std::to_string(bytes)) {
    return fail(fmt::format("download cut short: {} of {} bytes", bytes, length));
  }
  if (bytes == 0) {
    return fail("download was empty");
  }
  if (!is_mp4_head(head)) {
    return fail("download is not an MP4 file");
  }
  std::string sha256 = Poco::DigestEngine::digestToHex(sha.digest());
  // Never replace a file reelq did not write for this result: keep it, and save beside it. A file
  // with these very bytes is this result already (a run stopped between the rename and its record).
  std::string name = target.filename().string();
  for (int n = 1; n <= k_max_kept_aside; ++n) {
    fs::path candidate = n == 1 ? target : target.parent_path() / kept_aside_name(name, n);
    Placed placed = place_if_free(part, candidate, bytes, sha256, error);
    if (placed == Placed::failed) {
      return fail(error);
    }
    if (placed == Placed::taken) {
      continue;
    }
    if (failure) {
      *failure = DownloadFailure::none;
    }
    rec.path = candidate.filename().string();
    rec.dir = target.parent_path().string();
    rec.bytes = bytes;
    rec.sha256 = sha256;
    if (n > 1) {
      rec.note = fmt::format(
          "{} was already in the output folder and reelq did not write it; kept it and saved this result as {}", name,
          rec.path);
    }
    return rec;
  }
  return fail(fmt::format("{} and {} other names for it are taken in {}", name, k_max_kept_aside - 1,
                          target.parent_path().string()));
}

Downloader::Downloader(HttpTransport& transport, Clock& clock, DownloadOptions options)
    : m_transport(transport), m_clock(clock), m_options(std::move(options)) {
  for (int i = 0; i < m_options.workers; ++i) {
    m_threads.emplace_back([this] { worker(); });
  }
}

Downloader::~Downloader() {
  stop();
  for (auto& t : m_threads) {
    t.join();
  }
}

void Downloader::start(DownloadTask task) {
  if (m_options.workers == 0) {
    DownloadResult r = run(task);
    std::lock_guard lock(m_mutex);
    m_finished.push_back(std::move(r));
    return;
  }
  std::lock_guard lock(m_mutex);
  m_queue.push_back(std::move(task));
  m_cv.notify_one();
}

std::vector<DownloadResult> Downloader::take_finished() {
  std::lock_guard lock(m_mutex);
  return std::exchange(m_finished, {});
}

size_t Downloader::running() const {
  std::lock_guard lock(m_mutex);
  return m_queue.size() + m_busy;
}

size_t Downloader::in_flight() const {
  std::lock_guard lock(m_mutex);
  // Finished results not yet taken count too: the runner must not conclude it is done between
  // a worker finishing and its next take_finished().
  return m_queue.size() + m_busy + m_finished.size();
}

void Downloader::stop() {
  m_stopping = true;
  std::lock_guard lock(m_mutex);
  m_queue.clear();
  m_cv.notify_all();
}

void Downloader::worker() {
  while (true) {
    DownloadTask task;
    {
      std::unique_lock lock(m_mutex);
      m_cv.wait(lock, [&] { return m_stopping || !m_queue.empty(); });
      if (m_stopping) {
        return;
      }
      task = std::move(m_queue.front());
      m_queue.pop_front();
      ++m_busy;
    }
    DownloadResult r = run(task);
    {
      std::lock_guard lock(m_mutex);
      --m_busy;
      // A take whose files all reached their final names is kept after a stop too: unrecorded, the
      // resume would fetch it again (into another folder, if the batch moved). One the stop cut
      // short is not a failure: dropped, it stays `downloading` for the resume.
      if (!m_stopping || r.ok) {
        m_finished.push_back(std::move(r));
      }
    }
    if (m_options.on_finished) {
      m_options.on_finished();
    }
  }
}

DownloadResult Downloader::run(const DownloadTask& task) {
  DownloadResult result;
  result.row = task.row;
  result.ok = true;
  const fs::path& dir = task.output_dir.empty() ? m_options.output_dir : task.output_dir;
  Backoff backoff(m_options.backoff_base, m_options.backoff_cap, static_cast<std::uint64_t>(task.row));
  for (size_t i = 0; i < task.urls.size(); ++i) {
    FileRecord rec;
    // A file already downloaded stays where it was written, even if the batch's folder changed.
    if (i < task.done.size() && file_intact(task.done[i], dir)) {
      result.files.push_back(task.done[i]);
      continue;
    }
    std::string name = result_file_name(task.job_id, task.take, static_cast<int>(i));
    fs::path target = dir / name;
    if (!is_inside(dir, target)) {  // cannot happen with safe names; refuse if it does
      result.ok = false;
      result.error = fmt::format("refusing to write outside the output folder: {}", name);
      return result;
    }
    // Attempts made before (by an earlier run or download) are history, not a budget spent: each
    // start gets max_attempts of its own, or a take that failed once could never be fetched again.
    int earlier = i < task.done.size() ? task.done[i].attempts : 0;
    int attempts = 0;
    std::string error = "stopped before any attempt";
    int unreachable = 0;
    bool refused = false;
    while (!m_stopping && attempts < m_options.max_attempts) {
      error.clear();
      WireOutcome wire = WireOutcome::answered;
      DownloadLimits limits{m_options.max_bytes,   m_options.progress,  &m_clock,
                            &m_stopping,           m_options.write_bytes, m_options.host_rule,
                            m_options.resolver.get()};
      DownloadFailure failure = DownloadFailure::none;
      rec = download_file(m_transport, task.urls[i], target, error, result.http_status, &wire, limits, &failure);
      if (failure == DownloadFailure::disk_full) {
        // Waiting will not free space and another try would only fill it again: the take stops
        // here, no attempt spent, and the run decides what to do (docs/reliability.md).
        rec.idx = static_cast<int>(i);
        rec.url = task.urls[i];
        rec.attempts = earlier + attempts;
        result.files.push_back(rec);
        result.ok = false;
        result.failure = DownloadFailure::disk_full;
        result.error = error;
        return result;
      }
      if (wire == WireOutcome::not_sent && !error.empty()) {
        // The host could not be reached (refused, DNS, connect timeout): nothing was fetched, so
        // no attempt is spent. Wait for it, longer each time, for as long as the run goes on.
        for (TimeMs left = backoff.delay(std::min(++unreachable, 16)); left > 0 && !m_stopping; left -= 50) {
          m_clock.sleep_ms(std::min<TimeMs>(left, 50));
        }
        continue;
      }
      unreachable = 0;
      ++attempts;
      if (error.empty()) {
        break;
      }
      // Another attempt would be refused the same way: the take fails now, not after five.
      if (wire == WireOutcome::refused) {
        refused = true;
        break;
      }
      // A 4xx from the CDN (an expired or refused URL) will not change by waiting, nor will a
      // redirect reelq does not follow.
      if (result.http_status >= 300 && result.http_status < 500) {
        break;
      }
      if (attempts < m_options.max_attempts) {
        // In short naps, so a stop is noticed within one of them.
        for (TimeMs left = backoff.delay(attempts); left > 0 && !m_stopping; left -= 50) {
          m_clock.sleep_ms(std::min<TimeMs>(left, 50));
        }
      }
    }
    rec.idx = static_cast<int>(i);
    rec.url = task.urls[i];
    rec.attempts = earlier + attempts;
    if (!rec.note.empty()) {
      result.notes.push_back(rec.note);
    }
    result.files.push_back(rec);
    // On disk under its final name, or the take is not done: never `ok` on a file that is not there.
    if (error.empty() && (rec.path.empty() || !fs::exists(file_location(rec, dir)))) {
      error = "the downloaded file is not in the output folder";
    }
    if (!error.empty()) {  // a file on disk under its final name counts, stop or no stop
      result.ok = false;
      result.failure = refused ? DownloadFailure::refused : DownloadFailure::failed;
      result.error = error;
      return result;
    }
  }
  return result;
}

}  // namespace reelq
