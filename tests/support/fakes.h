#pragma once
// Hand-written fakes and helpers shared by the unit tests.
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "util/clock.h"

namespace reelq::test {

// A clock that moves only when told to (or when something sleeps on it). Wall and monotonic
// time move together, except that step_wall() moves the wall clock alone, as NTP does.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimeMs start = 1'767'225'600'000) : m_now(start) {}  // 2026-01-01T00:00:00Z
  TimeMs now_ms() override { return m_now; }
  TimeMs steady_ms() override { return m_steady; }
  void sleep_ms(TimeMs duration) override { advance(duration > 0 ? duration : 0); }
  void advance(TimeMs duration) {
    m_now += duration;
    m_steady += duration;
  }
  void step_wall(TimeMs delta) { m_now += delta; }

 private:
  TimeMs m_now;
  TimeMs m_steady = 1'000'000;
};

// A fresh directory under the system temp dir, removed with everything in it at scope exit.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    m_path = std::filesystem::temp_directory_path() / ("reelq-test-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(m_path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(m_path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return m_path; }
  std::filesystem::path operator/(const std::string& name) const { return m_path / name; }

 private:
  std::filesystem::path m_path;
};

inline void write_file(const std::filesystem::path& p, const std::string& content) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << content;
}

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline std::filesystem::path source_dir() {
  return REELQ_SOURCE_DIR;
}

}  // namespace reelq::test
