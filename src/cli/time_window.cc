#include "cli/time_window.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>

#include "util/time_text.h"

namespace reelq {
namespace {

std::optional<TimeMs> parse_age(const std::string& text) {
  if (text.size() < 2) {
    return std::nullopt;
  }
  TimeMs unit = text.back() == 'm' ? 60'000 : text.back() == 'h' ? 3'600'000 : text.back() == 'd' ? 86'400'000 : 0;
  std::string digits = text.substr(0, text.size() - 1);
  if (unit == 0 || digits.empty() || digits.size() > 6 || digits.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  return std::stoll(digits) * unit;
}

std::optional<TimeMs> parse_utc(const std::string& text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  int n = 0;
  bool ok = false;
  if (text.size() == 10) {
    ok = std::sscanf(text.c_str(), "%4d-%2d-%2d%n", &y, &mo, &d, &n) == 3 && n == 10;
  } else if (text.size() == 16 || (text.size() == 17 && text.back() == 'Z')) {
    ok = std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d%n", &y, &mo, &d, &h, &mi, &n) == 5 && n == 16;
  } else if (text.size() == 19 || (text.size() == 20 && text.back() == 'Z')) {
    ok = std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &n) == 6 && n == 19;
  }
  if (!ok || h > 23 || mi > 59 || s > 59) {
    return std::nullopt;
  }
  using namespace std::chrono;
  year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) {
    return std::nullopt;
  }
  auto at = sys_days{ymd} + hours{h} + minutes{mi} + seconds{s};
  return duration_cast<milliseconds>(at.time_since_epoch()).count();
}

}  // namespace

Result<TimeMs> parse_time_bound(const std::string& flag, const std::string& text, TimeMs now) {
  if (auto age = parse_age(text)) {
    return now - *age;
  }
  if (auto at = parse_utc(text)) {
    return *at;
  }
  return Error{ErrorKind::usage,
               fmt::format("{}: '{}' is not a date or an age (give 2026-12-04, 2026-12-04T18:00 in UTC, or 12h, "
                           "90m, 2d for that long ago)",
                           flag, text)};
}

Result<TimeWindow> parse_time_window(const std::string& since, const std::string& until, TimeMs now) {
  TimeWindow w;
  if (!since.empty()) {
    auto t = parse_time_bound("--since", since, now);
    if (!t) {
      return t.error();
    }
    w.since = *t;
  }
  if (!until.empty()) {
    auto t = parse_time_bound("--until", until, now);
    if (!t) {
      return t.error();
    }
    w.until = *t;
  }
  if (w.since && w.until && *w.until <= *w.since) {
    return Error{ErrorKind::usage,
                 fmt::format("--until ({}) must be later than --since ({})", iso_utc(*w.until), iso_utc(*w.since))};
  }
  return w;
}

std::string describe_window(const TimeWindow& window) {
  std::string out;
  if (window.since) {
    out += " since " + iso_utc(*window.since);
  }
  if (window.until) {
    out += " until " + iso_utc(*window.until);
  }
  return out;
}

}  // namespace reelq
