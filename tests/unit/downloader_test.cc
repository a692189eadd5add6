#include "fetch/downloader.h"

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <memory>
#include <set>

#include "fetch/download_options.h"
#include "fetch/output_paths.h"
#include "support/fake_resolver.h"
#include "support/fake_transport.h"
#include "support/fakes.h"

using namespace reelq;
namespace fs = std::filesystem;

namespace {

const std::string k_mp4(
    "\0\0\0\x18"
    "ftypisom"
    "fake-video-bytes",
    28);

Headers length_of(const std::string& body) {
  return {{"Content-Length", std::to_string(body.size())}};
}

struct Fetch {
  test::TempDir dir;
  test::FakeTransport t;
  std::string error;
  int status = 0;
  FileRecord get(const std::string& name = "a.mp4", std::int64_t max_bytes = k_max_result_bytes) {
    return download_file(t, "https://cdn.test/v.mp4", dir / name, error, status, nullptr,
                         {max_bytes, {}, nullptr, nullptr});
  }
  bool no_leftovers() {
    for (const auto& e : fs::directory_iterator(dir.path())) {
      if (e.path().filename().string().ends_with(".part")) {
        return false;
      }
    }
    return true;
  }
};

}  // namespace

TEST_CASE("a good download lands under its name with its size and SHA-256") {
  Fetch f;
  f.t.answer(200, k_mp4, length_of(k_mp4));
  FileRecord r = f.get();
  CHECK(f.error == "");
  CHECK(r.path == "a.mp4");
  CHECK(r.bytes == 28);
  CHECK(r.sha256 == "12cb1dd7d64fb36b13d955251e2bf6e1890971f15e20131afeecc66db68063e7");
  CHECK(test::read_file(f.dir / "a.mp4") == k_mp4);
  CHECK(f.no_leftovers());
}

TEST_CASE("a download that fails a check leaves nothing under the final name, nor a temporary file") {
  Fetch f;
  SUBCASE("cut short of its Content-Length") {
    f.t.answer(200, k_mp4.substr(0, 20), length_of(k_mp4));
    f.get();
    CHECK(f.error == "download cut short: 20 of 28 bytes");
  }
  SUBCASE("not an MP4") {
    std::string html = "<html>oops</html>";
    f.t.answer(200, html, length_of(html));
    f.get();
    CHECK(f.error == "download is not an MP4 file");
  }
  SUBCASE("an expired URL") {
    f.t.answer(403, "Request has expired");
    f.get();
    CHECK(f.error == "download answered HTTP 403");
    CHECK(f.status == 403);
  }
  SUBCASE("empty") {
    f.t.answer(200, "", length_of(""));
    f.get();
    CHECK(f.error == "download was empty");
  }
  SUBCASE("the connection dropped") {
    f.t.fail(WireOutcome::no_answer, "Connection reset by peer");
    f.get();
    CHECK(f.error == "the transfer broke off: Connection reset by peer");
  }
  CHECK_FALSE(fs::exists(f.dir / "a.mp4"));
  CHECK(f.no_leftovers());
}

TEST_CASE("a truncated transfer is retried; an expired URL is not") {
  test::TempDir dir;
  test::FakeClock clock;
  test::FakeTransport t;
  DownloadOptions o;
  o.output_dir = dir.path();
  o.workers = 0;
  o.backoff_base = 10;
  Downloader d(t, clock, o);
  t.answer(200, k_mp4.substr(0, 10), length_of(k_mp4));
  t.answer(200, k_mp4, length_of(k_mp4));
  d.start({1, "shot", 2, {"https://cdn.test/a.mp4"}, {}, {}});
  auto done = d.take_finished();
  REQUIRE(done.size() == 1);
  CHECK(done[0].ok);
  CHECK(done[0].files[0].attempts == 2);
  CHECK(done[0].files[0].path == "shot-t2.mp4");

  t.answer(403, "Request has expired");
  d.start({2, "late", 1, {"https://cdn.test/b.mp4"}, {}, {}});
  done = d.take_finished();
  CHECK_FALSE(done[0].ok);
  CHECK(done[0].files[0].attempts == 1);
  CHECK(t.requests.size() == 3);
}

TEST_CASE("result names come from the job id alone and cannot leave the output folder") {
  CHECK(result_file_name("skyline", 1, 0) == "skyline-t1.mp4");
  CHECK(result_file_name("skyline", 2, 0) == "skyline-t2.mp4");
  CHECK(result_file_name("skyline", 1, 1) == "skyline-t1-2.mp4");
  CHECK(kept_aside_name("skyline-t1.mp4", 2) == "skyline-t1~2.mp4");
  CHECK(safe_component("../../etc/passwd") == "_.._etc_passwd");
  CHECK(safe_component("..") == "_");
  CHECK(safe_component("/abs") == "_abs");
  CHECK(safe_component("") == "_");
  CHECK(result_file_name("../x", 1, 0) == "_x-t1.mp4");
  CHECK(is_inside("/out", "/out/a.mp4"));
  CHECK_FALSE(is_inside("/out", "/out/../etc/a.mp4"));
  CHECK_FALSE(is_inside("/out", "/out"));
  CHECK_FALSE(is_inside("/out", "/outside/a.mp4"));
}

TEST_CASE("a download that does not end is stopped at the size cap, leaving nothing behind") {
  Fetch f;
  f.t.answer(200, k_mp4 + std::string(1000, 'x'));  // no Content-Length: only the cap can stop it
  FileRecord r = f.get("a.mp4", 512);
  CHECK(r.path.empty());
  CHECK(f.error == "download over 512 bytes, stopped: not a video");
  CHECK_FALSE(fs::exists(f.dir / "a.mp4"));
  CHECK(f.no_leftovers());
}

// Issue 11: hostile downloads.
namespace {

// A Downloader on a fake clock, inline, with the default progress rule (64 KB in 60 s).
struct Inline {
  test::TempDir dir;
  test::FakeClock clock;
  test::FakeTransport t;
  Downloader d;
  explicit Inline(std::int64_t max_bytes = k_max_result_bytes) : d(t, clock, options(dir.path(), max_bytes)) {
    t.clock = &clock;
  }
  static DownloadOptions options(const fs::path& dir, std::int64_t max_bytes) {
    DownloadOptions o;
    o.output_dir = dir;
    o.workers = 0;
    o.backoff_base = 10;
    o.max_bytes = max_bytes;
    return o;
  }
  DownloadResult fetch_one() {
    d.start({1, "shot", 1, {"https://cdn.test/a.mp4"}, {}, {}});
    auto done = d.take_finished();
    REQUIRE(done.size() == 1);
    return done[0];
  }
  bool folder_empty() { return fs::is_empty(dir.path()); }
};

// An MP4 head, then `n` pieces of 4 bytes.
std::vector<std::string> trickle(int n) {
  std::vector<std::string> pieces{k_mp4.substr(0, 12)};
  for (int i = 0; i < n; ++i) {
    pieces.emplace_back(4, '\0');
  }
  return pieces;
}

}  // namespace

TEST_CASE("a download trickling a few bytes a second fails each attempt at the progress rule, then the take") {
  Inline f;
  for (int i = 0; i < 5; ++i) {
    f.t.answer_in_pieces(200, trickle(100000), 1000);  // 4 bytes a second, for a day and more
  }
  TimeMs start = f.clock.now_ms();
  DownloadResult r = f.fetch_one();
  CHECK_FALSE(r.ok);
  CHECK(r.error == "download too slow: 248 bytes in 60 s, under the 65536 reelq asks for in that time; abandoned");
  CHECK(r.files[0].attempts == 5);  // each one a failed attempt, retried with backoff
  CHECK(f.t.requests.size() == 5);
  CHECK(f.clock.now_ms() - start < 6 * 60000);  // a minute each (and the backoff), not a day
  CHECK(f.folder_empty());                      // the partial files removed
}

TEST_CASE("a slow download above the floor is not abandoned") {
  Inline f;
  std::vector<std::string> pieces{k_mp4};
  for (int i = 0; i < 300; ++i) {
    pieces.emplace_back(2048, 'v');  // 2 KB a second for 5 minutes
  }
  f.t.answer_in_pieces(200, pieces, 1000);
  DownloadResult r = f.fetch_one();
  CHECK(r.ok);
  CHECK(r.files[0].bytes == 28 + 300 * 2048);
  CHECK(r.files[0].attempts == 1);
}

TEST_CASE("a download without end is stopped at the configured cap, each attempt, leaving nothing behind") {
  Inline g(64 * 1024);
  for (int i = 0; i < 5; ++i) {
    std::vector<std::string> pieces{k_mp4};
    pieces.insert(pieces.end(), 1000, std::string(4096, '\0'));  // 4 MB, far past the cap
    g.t.answer_in_pieces(200, std::move(pieces), 0);
  }
  DownloadResult r = g.fetch_one();
  CHECK_FALSE(r.ok);
  CHECK(r.error == "download over 65536 bytes, stopped: not a video");
  CHECK(r.files[0].attempts == 5);
  CHECK(g.folder_empty());
}

TEST_CASE("an endless body that is no MP4 is stopped at its first bytes") {
  Inline f;
  f.t.answer_in_pieces(200, std::vector<std::string>(100000, "<html>garbage</html>"), 0);
  f.t.answer(200, k_mp4, length_of(k_mp4));
  DownloadResult r = f.fetch_one();
  CHECK(r.ok);  // the second attempt got the video
  CHECK(r.files[0].attempts == 2);
}

TEST_CASE("a redirect is not followed, not retried, and names where it pointed") {
  Inline f;
  SUBCASE("to a file: URL") {
    f.t.answer(302, "", {{"Location", "file:///etc/passwd"}});
    DownloadResult r = f.fetch_one();
    CHECK(r.error == "download answered HTTP 302, a redirect to 'file:///etc/passwd': reelq does not follow redirects");
  }
  SUBCASE("to itself, with control bytes and no end") {
    f.t.answer(301, "", {{"Location", "https://cdn.test/a.mp4\r\n" + std::string(300, 'x')}});
    DownloadResult r = f.fetch_one();
    CHECK(r.error.starts_with("download answered HTTP 301, a redirect to 'https://cdn.test/a.mp4??xxx"));
    CHECK(r.error.ends_with("x...': reelq does not follow redirects"));
  }
  CHECK(f.t.requests.size() == 1);
  CHECK(f.folder_empty());
}

TEST_CASE("a stop ends a transfer at its next bytes, and leaves nothing behind") {
  Fetch f;
  std::atomic<bool> stop{false};
  int pieces = 0;
  std::vector<std::string> body{k_mp4};
  body.insert(body.end(), 1000, std::string(1024, 'v'));
  f.t.answer_in_pieces(200, body, 0);
  // The fake hands pieces over one by one; the stop comes after the tenth.
  struct CountingClock final : Clock {
    int* n;
    std::atomic<bool>* stop;
    TimeMs now_ms() override { return 0; }
    TimeMs steady_ms() override { return 0; }
    void sleep_ms(TimeMs) override {
      if (++*n == 10) {
        *stop = true;
      }
    }
  } counting;
  counting.n = &pieces;
  counting.stop = &stop;
  f.t.clock = &counting;
  FileRecord r = download_file(f.t, "https://cdn.test/v.mp4", f.dir / "a.mp4", f.error, f.status, nullptr,
                               {k_max_result_bytes, {}, nullptr, &stop});
  CHECK(r.path.empty());
  CHECK(f.error == "stopped");
  CHECK(pieces == 10);
  CHECK(f.no_leftovers());
  CHECK_FALSE(fs::exists(f.dir / "a.mp4"));
}

// Issue 12 item 2: a take whose download had used up its attempts was started again (by
// `reelq download`, or `retry` then `resume`) and came back `ok` with no file and no request made.
TEST_CASE("a download started again after its attempts ran out gets a fresh set, and is ok only with its file") {
  test::TempDir dir;
  test::FakeClock clock;
  test::FakeTransport t;
  DownloadOptions o;
  o.output_dir = dir.path();
  o.workers = 0;
  o.backoff_base = 10;
  Downloader d(t, clock, o);
  FileRecord spent;
  spent.url = "https://cdn.test/a.mp4";
  spent.attempts = o.max_attempts;  // what the files table holds after a DOWNLOAD_FAILED
  DownloadTask task{7, "shot", 1, {"https://cdn.test/a.mp4"}, {spent}, {}};

  SUBCASE("the CDN still cuts it short: tried max_attempts times again, and not ok") {
    for (int i = 0; i < o.max_attempts; ++i) {
      t.answer(200, k_mp4.substr(0, 10), length_of(k_mp4));
    }
    d.start(task);
    auto done = d.take_finished();
    REQUIRE(done.size() == 1);
    CHECK_FALSE(done[0].ok);
    CHECK(done[0].error == "download cut short: 10 of 28 bytes");
    CHECK(t.requests.size() == static_cast<size_t>(o.max_attempts));
    CHECK(done[0].files[0].attempts == 2 * o.max_attempts);  // the history adds up
    CHECK(done[0].files[0].path == "");
    CHECK_FALSE(fs::exists(dir / "shot-t1.mp4"));
  }
  SUBCASE("the CDN serves it now: on disk and ok") {
    t.answer(200, k_mp4, length_of(k_mp4));
    d.start(task);
    auto done = d.take_finished();
    REQUIRE(done.size() == 1);
    CHECK(done[0].ok);
    CHECK(done[0].files[0].path == "shot-t1.mp4");
    CHECK(test::read_file(dir / "shot-t1.mp4") == k_mp4);
  }
}

TEST_CASE("a task can name its own output folder (another batch's task collected by this run)") {
  test::TempDir dir;
  test::FakeClock clock;
  test::FakeTransport t;
  DownloadOptions o;
  o.output_dir = dir / "mine";
  o.workers = 0;
  Downloader d(t, clock, o);
  t.answer(200, k_mp4, length_of(k_mp4));
  d.start({3, "other", 1, {"https://cdn.test/o.mp4"}, {}, dir / "theirs"});
  auto done = d.take_finished();
  REQUIRE(done.size() == 1);
  CHECK(done[0].ok);
  CHECK(fs::exists(dir / "theirs" / "other-t1.mp4"));
  CHECK_FALSE(fs::exists(dir / "mine" / "other-t1.mp4"));
}

TEST_CASE("take names cannot collide: a take of one job is never another job's file") {
  // Issue 12: job `clip` with takes: 2 and a job `clip-t1` once wrote one file.
  std::set<std::string> names;
  for (std::string id : {"clip", "clip-t1", "clip-t1-2", "clip-2", "clip-t", "clip-t12"}) {
    for (int take = 1; take <= 12; ++take) {
      for (int url = 0; url < 3; ++url) {
        CHECK_MESSAGE(names.insert(result_file_name(id, take, url)).second, id, " ", take, " ", url);
      }
    }
  }
}

TEST_CASE("a file reelq did not write is kept, and the result saved beside it and recorded so") {
  Fetch f;
  test::write_file(f.dir / "a.mp4", "someone's keeper");
  test::write_file(f.dir / "a~2.mp4", "another keeper");
  f.t.answer(200, k_mp4, length_of(k_mp4));
  FileRecord r = f.get();
  CHECK(f.error == "");
  CHECK(test::read_file(f.dir / "a.mp4") == "someone's keeper");
  CHECK(test::read_file(f.dir / "a~2.mp4") == "another keeper");
  CHECK(test::read_file(f.dir / "a~3.mp4") == k_mp4);
  CHECK(r.path == "a~3.mp4");
  CHECK(r.dir == f.dir.path().string());
  CHECK(r.note ==
        "a.mp4 was already in the output folder and reelq did not write it; kept it and saved this result as a~3.mp4");
  CHECK(f.no_leftovers());
}

TEST_CASE("a file with the very bytes of the result is that result: recorded, not duplicated") {
  // A run stopped between moving a file into place and recording it finds it again.
  Fetch f;
  test::write_file(f.dir / "a.mp4", k_mp4);
  f.t.answer(200, k_mp4, length_of(k_mp4));
  FileRecord r = f.get();
  CHECK(f.error == "");
  CHECK(r.path == "a.mp4");
  CHECK(r.note == "");
  CHECK_FALSE(fs::exists(f.dir / "a~2.mp4"));
  CHECK(f.no_leftovers());
}

TEST_CASE("a file already downloaded stays where it was written when the batch's folder changes") {
  test::TempDir old_dir;
  test::TempDir new_dir;
  test::FakeClock clock;
  test::FakeTransport t;
  test::write_file(old_dir / "shot-t1.mp4", k_mp4);
  DownloadOptions o;
  o.output_dir = new_dir.path();
  o.workers = 0;
  Downloader d(t, clock, o);
  FileRecord done;
  done.path = "shot-t1.mp4";
  done.dir = old_dir.path().string();
  d.start({1, "shot", 1, {"https://cdn.test/a.mp4"}, {done}, {}});
  auto out = d.take_finished();
  REQUIRE(out.size() == 1);
  CHECK(out[0].ok);
  CHECK(out[0].files[0].dir == old_dir.path().string());
  CHECK(t.requests.empty());
  CHECK_FALSE(fs::exists(new_dir / "shot-t1.mp4"));
}

TEST_CASE("a download does not touch another writer's temporary file beside the same name") {
  // Two reelqs filling one folder (two batches sharing --output-dir): each has its own.
  Fetch f;
  test::write_file(f.dir / ".a.mp4.part", "another reelq, mid-transfer");
  f.t.answer(200, k_mp4, length_of(k_mp4));
  f.get();
  CHECK(f.error == "");
  CHECK(test::read_file(f.dir / ".a.mp4.part") == "another reelq, mid-transfer");
  CHECK(test::read_file(f.dir / "a.mp4") == k_mp4);
}

namespace {

// A disk with room for `room` more bytes: then every write fails as a full disk does.
WriteBytes disk_with_room(std::int64_t room, int err = ENOSPC) {
  auto left = std::make_shared<std::int64_t>(room);
  return [left, err](int fd, const char* data, size_t n) {
    if (static_cast<std::int64_t>(n) > *left) {
      return err;
    }
    *left -= static_cast<std::int64_t>(n);
    return write_all(fd, data, n);
  };
}

DownloadLimits on_disk(WriteBytes write) {
  DownloadLimits limits;
  limits.write_bytes = std::move(write);
  return limits;
}

}  // namespace

TEST_CASE("a full disk is named with the file and the system's words, and leaves no temporary file") {
  Fetch f;
  f.t.answer(200, k_mp4, length_of(k_mp4));
  DownloadFailure failure = DownloadFailure::none;
  FileRecord r = download_file(f.t, "https://cdn.test/v.mp4", f.dir / "a.mp4", f.error, f.status, nullptr,
                               on_disk(disk_with_room(10)), &failure);
  CHECK(failure == DownloadFailure::disk_full);
  CHECK(f.error == fmt::format("cannot write {}: No space left on device",
                               (f.dir / fmt::format(".a.mp4.{}.part", ::getpid())).string()));
  CHECK(r.path == "");
  CHECK_FALSE(fs::exists(f.dir / "a.mp4"));
  CHECK(f.no_leftovers());
  SUBCASE("a quota is a full disk too") {
    f.t.answer(200, k_mp4, length_of(k_mp4));
    download_file(f.t, "https://cdn.test/v.mp4", f.dir / "b.mp4", f.error, f.status, nullptr,
                  on_disk(disk_with_room(0, EDQUOT)), &failure);
    CHECK(failure == DownloadFailure::disk_full);
  }
  SUBCASE("another write error is a plain failure, with its words") {
    f.t.answer(200, k_mp4, length_of(k_mp4));
    download_file(f.t, "https://cdn.test/v.mp4", f.dir / "b.mp4", f.error, f.status, nullptr,
                  on_disk(disk_with_room(0, EIO)), &failure);
    CHECK(failure == DownloadFailure::failed);
    CHECK(f.error.ends_with(": Input/output error"));
  }
}

TEST_CASE("a take that meets a full disk stops at once: no attempt spent, no retry, reported disk_full") {
  test::TempDir dir;
  test::FakeClock clock;
  test::FakeTransport t;
  DownloadOptions o;
  o.output_dir = dir.path();
  o.workers = 0;
  o.backoff_base = 10;
  o.write_bytes = disk_with_room(0);
  Downloader d(t, clock, o);
  t.answer(200, k_mp4, length_of(k_mp4));
  t.answer(200, k_mp4, length_of(k_mp4));
  d.start({1, "shot", 1, {"https://cdn.test/a.mp4", "https://cdn.test/b.mp4"}, {}, {}});
  auto done = d.take_finished();
  REQUIRE(done.size() == 1);
  CHECK_FALSE(done[0].ok);
  CHECK(done[0].failure == DownloadFailure::disk_full);
  CHECK(done[0].error.ends_with(": No space left on device"));
  REQUIRE(done[0].files.size() == 1);
  CHECK(done[0].files[0].attempts == 0);
  CHECK(t.requests.size() == 1);  // neither retried nor the next file tried
  CHECK(fs::is_empty(dir.path()));
}

TEST_CASE("a killed run's half-written download is removed by the next; a live process's is left") {
  Fetch f;
  pid_t gone = ::fork();
  if (gone == 0) {
    ::_exit(0);
  }
  REQUIRE(gone > 0);
  ::waitpid(gone, nullptr, 0);  // its pid now names no process
  auto touch = [&](const std::string& name) { std::ofstream(f.dir / name) << "half a video"; };
  std::string dead = fmt::format(".a-t1.mp4.{}.part", gone);
  std::string mine = fmt::format(".b-t1.mp4.{}.part", ::getpid());
  touch(dead);
  touch(mine);
  touch("notes.part");        // not a name reelq gives
  touch(".c-t1.mp4.x1.part");  // nor this
  CHECK(remove_stale_parts(f.dir.path()) == std::vector<std::string>{dead});
  CHECK_FALSE(fs::exists(f.dir / dead));
  CHECK(fs::exists(f.dir / mine));
  CHECK(fs::exists(f.dir / "notes.part"));
  CHECK(fs::exists(f.dir / ".c-t1.mp4.x1.part"));
}

TEST_CASE("a temporary file planted as a link is refused: its target keeps its bytes and no result becomes a link") {
  Fetch f;
  test::write_file(f.dir / "victim.txt", "precious\n");
  fs::path part = f.dir / fmt::format(".a.mp4.{}.part", ::getpid());
  fs::create_symlink(f.dir / "victim.txt", part);
  f.t.answer(200, k_mp4, length_of(k_mp4));
  FileRecord r = f.get();
  CHECK(f.error == part.string() +
                       " is a symbolic link; reelq will not write through it (delete the link, or choose "
                       "another name)");
  CHECK(r.path == "");
  CHECK(test::read_file(f.dir / "victim.txt") == "precious\n");
  CHECK_FALSE(fs::exists(f.dir / "a.mp4"));
  CHECK(fs::is_symlink(part));
}

TEST_CASE("a stale temporary file of this pid (a regular file) is replaced, not appended to or kept") {
  Fetch f;
  fs::path part = f.dir / fmt::format(".a.mp4.{}.part", ::getpid());
  test::write_file(part, "left by a run killed mid-download, whose pid this one now has");
  f.t.answer(200, k_mp4, length_of(k_mp4));
  FileRecord r = f.get();
  CHECK(f.error == "");
  CHECK(test::read_file(f.dir / "a.mp4") == k_mp4);
  CHECK(f.no_leftovers());
}

TEST_CASE("a result name planted as a link is not written through: the result is kept aside") {
  Fetch f;
  test::write_file(f.dir / "victim.txt", "precious\n");
  fs::create_symlink(f.dir / "victim.txt", f.dir / "a.mp4");
  f.t.answer(200, k_mp4, length_of(k_mp4));
  FileRecord r = f.get();
  CHECK(f.error == "");
  CHECK(r.path == "a~2.mp4");
  CHECK(test::read_file(f.dir / "victim.txt") == "precious\n");
  CHECK(fs::is_symlink(f.dir / "a.mp4"));
  CHECK_FALSE(fs::is_symlink(f.dir / "a~2.mp4"));
}

// Issue 17 item 9: result URLs on hosts that are not public, judged on what their names resolve to.
namespace {

struct Guarded {
  test::TempDir dir;
  test::FakeClock clock;
  test::FakeTransport t;
  std::shared_ptr<test::FakeResolver> dns = resolver();
  Downloader d{t, clock, options()};
  static std::shared_ptr<test::FakeResolver> resolver() {
    auto dns = std::make_shared<test::FakeResolver>();
    dns->table = {{"cdn.rebind.example", {"127.0.0.1"}}, {"cdn.apixo.ai", {"104.18.1.1"}}};
    return dns;
  }
  DownloadOptions options() {
    DownloadOptions o;
    o.output_dir = dir.path();
    o.workers = 0;
    o.backoff_base = 10;
    o.host_rule = HostRule::public_only;
    o.resolver = dns;
    return o;
  }
};

}  // namespace

TEST_CASE("a result URL whose name resolves to this machine fails at once: one attempt, nothing sent, no wait") {
  Guarded g;
  TimeMs before = g.clock.steady_ms();
  g.d.start({1, "shot", 1, {"https://cdn.rebind.example/a.mp4"}, {}, {}});
  auto done = g.d.take_finished();
  REQUIRE(done.size() == 1);
  CHECK_FALSE(done[0].ok);
  CHECK(done[0].failure == DownloadFailure::refused);
  CHECK(done[0].error ==
        "the result URL's host 'cdn.rebind.example' resolves to 127.0.0.1, a loopback address: refused, nothing "
        "requested");
  REQUIRE(done[0].files.size() == 1);
  CHECK(done[0].files[0].attempts == 1);
  CHECK(done[0].http_status == 0);
  CHECK(g.t.requests.empty());
  CHECK(g.clock.steady_ms() == before);  // no backoff: waiting does not change where a name points
  CHECK(g.dns->asked == std::vector<std::string>{"cdn.rebind.example"});
}

TEST_CASE("a result URL on a public name is fetched from the very address that was checked") {
  Guarded g;
  g.t.answer(200, k_mp4, length_of(k_mp4));
  g.d.start({2, "good", 1, {"https://cdn.apixo.ai/b.mp4"}, {}, {}});
  auto done = g.d.take_finished();
  REQUIRE(done.size() == 1);
  CHECK(done[0].ok);
  REQUIRE(g.t.requests.size() == 1);
  CHECK(g.t.requests[0].url == "https://cdn.apixo.ai/b.mp4");
  CHECK(g.t.requests[0].connect_to == "104.18.1.1");
}

TEST_CASE("a result URL whose name does not resolve is not an attempt: nothing fetched, tried again later") {
  test::TempDir dir;
  test::FakeTransport t;
  test::FakeResolver dns;
  std::string error;
  int status = 7;
  WireOutcome wire = WireOutcome::answered;
  DownloadLimits limits;
  limits.host_rule = HostRule::public_only;
  limits.resolver = &dns;
  DownloadFailure failure = DownloadFailure::none;
  FileRecord r =
      download_file(t, "https://cdn.gone.example/a.mp4", dir / "a.mp4", error, status, &wire, limits, &failure);
  CHECK(r.path.empty());
  CHECK(wire == WireOutcome::not_sent);
  CHECK(failure == DownloadFailure::failed);
  CHECK(status == 0);
  CHECK(error == "cannot resolve the result URL's host 'cdn.gone.example': Name or service not known");
  CHECK(t.requests.empty());
}

TEST_CASE("results come from anywhere only for an API on this machine or its network (the batch's API base)") {
  Settings s;
  CHECK(download_options(s).host_rule == HostRule::public_only);  // https://api.apixo.ai
  s.api_base = "http://127.0.0.1:4000";
  CHECK(download_options(s).host_rule == HostRule::any);
}
