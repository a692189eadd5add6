// The normal build's stand-in for libFuzzer: feeds each file named on the command line (or found
// in a folder named there) to the target's LLVMFuzzerTestOneInput once. ctest runs it over the
// seed corpus and tests/fuzz/regressions/, so every crasher ever found stays a GCC-built test.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace fs = std::filesystem;

namespace {

std::vector<fs::path> inputs_under(const fs::path& arg) {
  std::vector<fs::path> files;
  if (fs::is_directory(arg)) {
    for (const auto& e : fs::recursive_directory_iterator(arg)) {
      if (e.is_regular_file()) {
        files.push_back(e.path());
      }
    }
    std::sort(files.begin(), files.end());
  } else if (fs::is_regular_file(arg)) {
    files.push_back(arg);
  }
  return files;
}

}  // namespace

int main(int argc, char** argv) {
  size_t replayed = 0;
  for (int i = 1; i < argc; ++i) {
    std::vector<fs::path> files = inputs_under(argv[i]);
    // A misspelt folder must fail the test, not pass it with nothing replayed.
    if (files.empty()) {
      std::fprintf(stderr, "replay: no input at %s\n", argv[i]);
      return 1;
    }
    for (const auto& f : files) {
      // Named before it runs, so a crash's output says which input did it.
      std::fprintf(stderr, "replay: %s\n", f.c_str());
      std::ifstream in(f, std::ios::binary);
      std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
      LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
      ++replayed;
    }
  }
  std::printf("replayed %zu inputs, no crash\n", replayed);
  return replayed > 0 ? 0 : 1;
}
