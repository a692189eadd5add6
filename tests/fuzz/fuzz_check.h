#pragma once
// What the fuzz targets share: a check that stops the run where a promise breaks (libFuzzer saves
// the input that did it), and a reader for the small text framing the targets' inputs use.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace reelq::fuzz {

// A broken promise is a crash to libFuzzer and a failed replay to ctest: both keep the input.
inline void require(bool ok, const char* promise) {
  if (!ok) {
    std::fprintf(stderr, "fuzz check failed: %s\n", promise);
    std::abort();
  }
}

// Takes the text up to the next '\n' off the front of `in` (all of it when there is none).
inline std::string_view take_line(std::string_view& in) {
  size_t end = in.find('\n');
  std::string_view line = in.substr(0, end);
  in.remove_prefix(end == std::string_view::npos ? in.size() : end + 1);
  return line;
}

// The next space-separated word of `line`, taken off its front.
inline std::string_view take_word(std::string_view& line) {
  line.remove_prefix(std::min(line.size(), line.find_first_not_of(' ')));
  size_t end = line.find(' ');
  std::string_view word = line.substr(0, end);
  line.remove_prefix(end == std::string_view::npos ? line.size() : end);
  return word;
}

// A non-negative decimal number of at most `max_digits` digits; `fallback` when there is none.
inline long long to_number(std::string_view word, long long fallback, size_t max_digits = 9) {
  if (word.empty() || word.size() > max_digits) {
    return fallback;
  }
  long long n = 0;
  for (char c : word) {
    if (c < '0' || c > '9') {
      return fallback;
    }
    n = n * 10 + (c - '0');
  }
  return n;
}

}  // namespace reelq::fuzz
