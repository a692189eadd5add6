#include "fetch/progress_floor.h"

#include <doctest/doctest.h>

using namespace reelq;

TEST_CASE("a transfer that ends inside its first window is never judged, however small") {
  ProgressFloor f({60000, 65536}, 0);
  CHECK(f.on_progress(100, 10));
  CHECK(f.on_progress(59999, 11));
  CHECK(f.why() == "");
}

TEST_CASE("a trickle is abandoned once a whole window has brought too little") {
  ProgressFloor f({60000, 65536}, 0);
  TimeMs now = 0;
  std::int64_t bytes = 0;
  while (f.on_progress(now, bytes) && now < 600000) {
    now += 1000;
    bytes += 4;
  }
  CHECK(now == 60000);
  CHECK(f.why() == "download too slow: 240 bytes in 60 s, under the 65536 reelq asks for in that time; abandoned");
  CHECK_FALSE(f.on_progress(now + 1, bytes + 1'000'000));  // abandoned stays abandoned
}

TEST_CASE("a steady transfer at the floor's rate or above goes on window after window") {
  ProgressFloor f({60000, 65536}, 0);
  for (TimeMs now = 1000; now <= 3'600'000; now += 1000) {
    REQUIRE(f.on_progress(now, now / 1000 * 1100));  // 1100 bytes a second
  }
}

TEST_CASE("a long silence between reads asks for bytes in proportion to its length") {
  ProgressFloor f({60000, 65536}, 0);
  CHECK(f.on_progress(1000, 1'000'000));
  // 119 s later: the window that ended then asked for 65536 x 120 / 60 bytes; it had them.
  CHECK(f.on_progress(120000, 1'000'000 + 1));
  // Another 120 s with one byte in them: too slow.
  CHECK_FALSE(f.on_progress(240000, 1'000'000 + 2));
  CHECK(f.why() == "download too slow: 1 bytes in 120 s, under the 131072 reelq asks for in that time; abandoned");
}

TEST_CASE("a time-scaled window is judged in real milliseconds; a zero window is no rule") {
  ProgressFloor scaled({300, 65536}, 0);  // 60 s at --time-scale 0.005
  CHECK(scaled.on_progress(250, 8));
  CHECK_FALSE(scaled.on_progress(500, 12));
  CHECK(scaled.why() ==
        "download too slow: 12 bytes in 0.5 s, under the 109226 reelq asks for in that time; abandoned");
  ProgressFloor none({0, 65536}, 0);
  CHECK(none.on_progress(86'400'000, 1));
}
