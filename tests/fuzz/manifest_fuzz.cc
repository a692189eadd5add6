// libFuzzer target: manifest text -> parse_manifest, the entry point of `reelq validate` and
// `reelq enqueue`. Whatever the text, it must not crash or hang, a refusal must say where, and a
// manifest it accepts must keep the promises docs/manifest.md makes about accepted ones.
#include <Poco/JSON/Parser.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "manifest/job_input.h"
#include "fuzz_check.h"
#include "manifest/manifest.h"
#include "settings.h"

namespace fs = std::filesystem;
using namespace reelq;
using reelq::fuzz::require;

namespace {

// The files the seed manifests name (tests/manifests/invalid's fixtures/, jobs/'s refs/), laid out in a fresh folder
// under $TMPDIR so `images:` entries can be found; removed at exit. Nothing else is ever written.
class FixtureDir {
 public:
  FixtureDir() {
    std::string pattern = (fs::temp_directory_path() / "reelq-fuzz-XXXXXX").string();
    require(mkdtemp(pattern.data()) != nullptr, "a temporary folder can be made");
    m_path = pattern;
    fs::create_directories(m_path / "fixtures");
    fs::create_directories(m_path / "refs");  // jobs/portraits.yaml, a seed, names refs/lighthouse.png
    std::ofstream(m_path / "fixtures/tiny.png", std::ios::binary) << std::string("\x89PNG\r\n\x1A\n\0\0\0\rIHDR", 16);
    fs::copy_file(m_path / "fixtures/tiny.png", m_path / "refs/lighthouse.png");
    std::ofstream(m_path / "fixtures/notes-renamed.jpg") << "These are my notes, not a picture.\n";
    std::ofstream(m_path / "fixtures/huge.png", std::ios::binary) << "\x89PNG\r\n\x1A\n";
    fs::resize_file(m_path / "fixtures/huge.png", 11u * 1024 * 1024);  // sparse: no disk used
  }
  ~FixtureDir() {
    std::error_code ec;
    fs::remove_all(m_path, ec);
  }
  const fs::path& path() const { return m_path; }

 private:
  fs::path m_path;
};

void check_accepted(const Manifest& m) {
  require(!m.batch.empty(), "an accepted manifest has a batch name");
  require(!m.jobs.empty(), "an accepted manifest has jobs");
  std::set<std::string> ids;
  for (const JobSpec& job : m.jobs) {
    require(!job.id.empty() && ids.insert(job.id).second, "job ids are present and unique");
    require(job.duration == 4 || job.duration == 8 || job.duration == 12, "duration is 4, 8 or 12");
    require(job.takes >= 1 && job.takes <= 100, "takes is 1 to 100");
    require(!job.prompt.empty(), "every job has a prompt");
    // The job's input object is stored, read back and sent to the API as JSON.
    try {
      Poco::JSON::Parser().parse(input_json(job));
    } catch (const Poco::Exception& e) {
      std::fprintf(stderr, "%s\n", e.displayText().c_str());
      require(false, "a job's input object is JSON");
    }
    if (job.mode == Mode::image_to_video) {
      require(job.images.size() == 1, "an image-to-video job has exactly one image");
    } else {
      require(job.images.empty(), "a text-to-video job has no image");
    }
  }
  // What validate accepted, run must accept too: the stored settings are read back at every run.
  Settings settings;
  Status applied = apply_settings_json(settings, m.settings_json, "fuzz.yaml: ");
  if (!applied) {
    std::fprintf(stderr, "%s\n(settings stored as %s)\n", applied.error().message.c_str(), m.settings_json.c_str());
  }
  require(applied.ok(), "an accepted manifest's settings apply without error");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static FixtureDir fixtures;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  Diagnostics diags;
  Result<Manifest> m = parse_manifest(text, {"fuzz.yaml", fixtures.path()}, &diags);
  if (!m) {
    require(!diags.empty() && m.error().kind == ErrorKind::input, "a refused manifest says why");
    for (const Diagnostic& d : diags) {
      require(d.file == "fuzz.yaml" && !d.message.empty(), "each problem names the file and itself");
      require(d.pos.line >= 1 && d.pos.col >= 1, "each problem has a line and a column");
    }
    return 0;
  }
  require(diags.empty(), "an accepted manifest has no problems listed");
  check_accepted(*m);
  return 0;
}
