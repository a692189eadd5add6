#include "fetch/downloader.h"

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <set>

#include "fetch/output_paths.h"
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
    return download_file(t, "https://cdn.test/v.mp4", dir / name, error, status, nullptr, max_bytes);
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

}  // namespace

TEST_CASE("a full disk is named with the file and the system's words, and leaves no temporary file") {
  Fetch f;
  f.t.answer(200, k_mp4, length_of(k_mp4));
  DownloadFailure failure = DownloadFailure::none;
  FileRecord r = download_file(f.t, "https://cdn.test/v.mp4", f.dir / "a.mp4", f.error, f.status, nullptr,
                               k_max_result_bytes, disk_with_room(10), &failure);
  CHECK(failure == DownloadFailure::disk_full);
  CHECK(f.error == fmt::format("cannot write {}: No space left on device",
                               (f.dir / fmt::format(".a.mp4.{}.part", ::getpid())).string()));
  CHECK(r.path == "");
  CHECK_FALSE(fs::exists(f.dir / "a.mp4"));
  CHECK(f.no_leftovers());
  SUBCASE("a quota is a full disk too") {
    f.t.answer(200, k_mp4, length_of(k_mp4));
    download_file(f.t, "https://cdn.test/v.mp4", f.dir / "b.mp4", f.error, f.status, nullptr, k_max_result_bytes,
                  disk_with_room(0, EDQUOT), &failure);
    CHECK(failure == DownloadFailure::disk_full);
  }
  SUBCASE("another write error is a plain failure, with its words") {
    f.t.answer(200, k_mp4, length_of(k_mp4));
    download_file(f.t, "https://cdn.test/v.mp4", f.dir / "b.mp4", f.error, f.status, nullptr, k_max_result_bytes,
                  disk_with_room(0, EIO), &failure);
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
