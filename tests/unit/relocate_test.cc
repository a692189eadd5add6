#include "queue/relocate.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "queue/database.h"
#include "queue/input_match.h"
#include "support/fakes.h"

using namespace reelq;
namespace fs = std::filesystem;

TEST_CASE("rebased replaces a leading folder, never a folder that only starts with the same letters") {
  CHECK(rebased("/a/night/renders/x.mp4", "/a/night", "/b/archive") == "/b/archive/renders/x.mp4");
  CHECK(rebased("/a/night", "/a/night", "/b/archive") == "/b/archive");
  CHECK_FALSE(rebased("/a/night-archive/x.mp4", "/a/night", "/b").has_value());
  CHECK_FALSE(rebased("/elsewhere/x", "/a/night", "/b").has_value());
}

TEST_CASE("rebased_in_json rewrites whole path strings and leaves prompts that mention the folder") {
  std::string input = R"({"prompt":"see /a/night/x and /a/nightly","image_urls":["file:///a/night/refs/f.png",)"
                      R"("file:///a/nightly/g.png","https://h/a/night/i.png"]})";
  CHECK(rebased_in_json(input, "file://", "/a/night", "/b/n 2") ==
        R"({"prompt":"see /a/night/x and /a/nightly","image_urls":["file:///b/n 2/refs/f.png",)"
        R"("file:///a/nightly/g.png","https://h/a/night/i.png"]})");
  CHECK(rebased_in_json(R"({"tls_cert":"/a/night/c.pem","x":"/a/night"})", "", "/a/night", "/b") ==
        R"({"tls_cert":"/b/c.pem","x":"/b"})");
}

TEST_CASE("a database moved with its project takes the paths inside its old folder along; a copy does not") {
  test::TempDir dir;
  fs::path home = fs::weakly_canonical(dir.path());
  fs::path old = home / "night";
  test::write_file(old / "night.yaml", "batch: b\n");
  test::write_file(old / "renders" / "b" / "j-t1.mp4", "video");
  {
    auto db = open_database(old / "reelq.db");
    REQUIRE(db.ok());
    auto& d = *db.value();
    d.exec(
        fmt::format("INSERT INTO batches (name, model, manifest_path, settings_json, created_at, updated_at, "
                    "output_dir, run_flags_json) VALUES ('b', 'sora-2-pro', '{0}/night.yaml', '{{}}', 1, 1, "
                    "'{0}/renders/b', '{{\"tls_cert\":\"{0}/c.pem\",\"tls_key\":\"/etc/k.pem\"}}')",
                    old.string()));
    d.exec(
        fmt::format("INSERT INTO jobs (batch, job_id, take, position, input_json, created_at, updated_at) VALUES "
                    "('b', 'j', 1, 0, '{{\"image_urls\":[\"file://{0}/refs/f.png\"]}}', 1, 1)",
                    old.string()));
    d.exec(fmt::format("INSERT INTO files (job, idx, url, path, dir) VALUES (1, 0, 'u', 'j-t1.mp4', '{}/renders/b')",
                       old.string()));
  }
  fs::path copy = home / "copy";
  fs::copy(old, copy, fs::copy_options::recursive);
  {
    auto db = open_database(copy / "reelq.db");  // the original is still in place: nothing moves
    REQUIRE(db.ok());
    CHECK(db.value()->execAndGet("SELECT output_dir FROM batches").getString() == (old / "renders" / "b").string());
  }
  fs::remove_all(copy);
  fs::path moved = home / "night-archive";
  fs::rename(old, moved);
  auto db = open_database(moved / "reelq.db");
  REQUIRE(db.ok());
  auto& d = *db.value();
  CHECK(d.execAndGet("SELECT manifest_path FROM batches").getString() == (moved / "night.yaml").string());
  CHECK(d.execAndGet("SELECT output_dir FROM batches").getString() == (moved / "renders" / "b").string());
  CHECK(d.execAndGet("SELECT run_flags_json FROM batches").getString() ==
        fmt::format("{{\"tls_cert\":\"{}/c.pem\",\"tls_key\":\"/etc/k.pem\"}}", moved.string()));
  CHECK(d.execAndGet("SELECT dir FROM files").getString() == (moved / "renders" / "b").string());
  CHECK(d.execAndGet("SELECT input_json FROM jobs").getString() ==
        fmt::format("{{\"image_urls\":[\"file://{}/refs/f.png\"]}}", moved.string()));
  CHECK(d.execAndGet("SELECT value FROM database_info WHERE key = 'path'").getString() ==
        (moved / "reelq.db").string());
}

TEST_CASE("a database from before its path was recorded is found moved by a recorded path that is gone") {
  test::TempDir dir;
  fs::path home = fs::weakly_canonical(dir.path());
  fs::path old = home / "night";
  test::write_file(old / "night.yaml", "batch: b\n");
  {
    auto db = open_database(old / "reelq.db");
    REQUIRE(db.ok());
    db.value()->exec("DELETE FROM database_info WHERE key = 'path'");  // as an older reelq left it
    db.value()->exec(
        fmt::format("INSERT INTO batches (name, model, manifest_path, settings_json, created_at, "
                    "updated_at, output_dir) VALUES ('b', 'sora-2-pro', '{0}/night.yaml', '{{}}', 1, "
                    "1, '{0}/renders/b')",
                    old.string()));
  }
  fs::rename(old, home / "moved");
  auto db = open_database(home / "moved" / "reelq.db");
  REQUIRE(db.ok());
  CHECK(db.value()->execAndGet("SELECT output_dir FROM batches").getString() ==
        (home / "moved" / "renders" / "b").string());
}

TEST_CASE("same_input: a local image is the same when it is the same file or the same bytes") {
  test::TempDir dir;
  fs::path home = fs::weakly_canonical(dir.path());
  test::write_file(home / "a" / "f.png", "png bytes");
  test::write_file(home / "b" / "f.png", "png bytes");
  test::write_file(home / "c" / "f.png", "other bytes");
  fs::create_directory_symlink(home / "a", home / "link");
  auto input = [](const fs::path& p, const std::string& prompt = "p") {
    return fmt::format(R"({{"prompt":"{}","image_urls":["file://{}"]}})", prompt, p.string());
  };
  CHECK(same_input(input(home / "a" / "f.png"), input(home / "link" / "f.png")));
  CHECK(same_input(input(home / "a" / "f.png"), input(home / "b" / "f.png")));
  CHECK_FALSE(same_input(input(home / "a" / "f.png"), input(home / "c" / "f.png")));
  CHECK_FALSE(same_input(input(home / "a" / "f.png"), input(home / "b" / "f.png", "q")));
  CHECK_FALSE(same_input(input(home / "gone" / "f.png"), input(home / "b" / "f.png")));
}
