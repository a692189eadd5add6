#include "fetch/downloader.h"

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>
#include <fmt/format.h>

#include <fstream>

#include "fetch/output_paths.h"
#include "sched/backoff.h"

namespace reelq {

namespace fs = std::filesystem;

FileRecord download_file(HttpTransport& transport, const std::string& url, const fs::path& target, std::string& error,
                         int& http_status, WireOutcome* wire) {
  FileRecord rec;
  rec.url = url;
  fs::path part = target.parent_path() / ("." + target.filename().string() + ".part");
  std::error_code ec;
  fs::create_directories(target.parent_path(), ec);
  std::ofstream out(part, std::ios::binary | std::ios::trunc);
  if (!out) {
    error = fmt::format("cannot write {}", part.string());
    return rec;
  }
  Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
  std::int64_t bytes = 0;
  std::string head;
  HttpRequest req;
  req.url = url;
  HttpResponse r = transport.fetch(req, [&](const char* data, size_t n) {
    out.write(data, static_cast<std::streamsize>(n));
    sha.update(data, n);
    if (head.size() < 12) {
      head.append(data, std::min(n, 12 - head.size()));
    }
    bytes += static_cast<std::int64_t>(n);
    return static_cast<bool>(out);
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
  if (r.wire != WireOutcome::answered) {
    return fail(fmt::format("download failed: {}", r.error));
  }
  if (r.status != 200) {
    return fail(fmt::format("download answered HTTP {}", r.status));
  }
  if (!out) {
    return fail(fmt::format("cannot write {}", part.string()));
  }
  std::string length = r.header("Content-Length");
  if (!length.empty() && length != std::to_string(bytes)) {
    return fail(fmt::format("download cut short: {} of {} bytes", bytes, length));
  }
  if (bytes == 0) {
    return fail("download was empty");
  }
  if (head.size() < 8 || head.substr(4, 4) != "ftyp") {
    return fail("download is not an MP4 file");
  }
  fs::rename(part, target, ec);
  if (ec) {
    return fail(fmt::format("cannot move the file into place: {}", ec.message()));
  }
  rec.path = target.filename().string();
  rec.bytes = bytes;
  rec.sha256 = Poco::DigestEngine::digestToHex(sha.digest());
  return rec;
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
    std::lock_guard lock(m_mutex);
    --m_busy;
    if (!m_stopping) {
      m_finished.push_back(std::move(r));
    }
  }
}

DownloadResult Downloader::run(const DownloadTask& task) {
  DownloadResult result;
  result.row = task.row;
  result.ok = true;
  Backoff backoff(m_options.backoff_base, m_options.backoff_cap, static_cast<std::uint64_t>(task.row));
  for (size_t i = 0; i < task.urls.size(); ++i) {
    FileRecord rec;
    if (i < task.done.size() && !task.done[i].path.empty() && fs::exists(m_options.output_dir / task.done[i].path)) {
      result.files.push_back(task.done[i]);
      continue;
    }
    std::string name = result_file_name(task.job_id, task.take, task.takes, static_cast<int>(i));
    fs::path target = m_options.output_dir / name;
    if (!is_inside(m_options.output_dir, target)) {  // cannot happen with safe names; refuse if it does
      result.ok = false;
      result.error = fmt::format("refusing to write outside the output folder: {}", name);
      return result;
    }
    int attempts = i < task.done.size() ? task.done[i].attempts : 0;
    std::string error;
    int unreachable = 0;
    while (!m_stopping && attempts < m_options.max_attempts) {
      error.clear();
      WireOutcome wire = WireOutcome::answered;
      rec = download_file(m_transport, task.urls[i], target, error, result.http_status, &wire);
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
      // A 4xx from the CDN (an expired or refused URL) will not change by waiting.
      if (result.http_status >= 400 && result.http_status < 500) {
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
    rec.attempts = attempts;
    result.files.push_back(rec);
    if (!error.empty() || m_stopping) {
      result.ok = false;
      result.error = error.empty() ? "stopped" : error;
      return result;
    }
  }
  return result;
}

}  // namespace reelq
