// The spend cap's arithmetic: what fits, what is given back, and that it never skips ahead.
#include "sched/spend_cap.h"

#include <doctest/doctest.h>

using namespace reelq;

TEST_CASE("without a cap every render fits, priced or not") {
  SpendCap none;
  CHECK_FALSE(none.active());
  CHECK(none.reserve(2.40));
  CHECK(none.reserve(std::nullopt));
  CHECK_FALSE(none.reached());
  CHECK(none.committed() == doctest::Approx(2.40));
}

TEST_CASE("a cap of exactly three renders admits three, then stops") {
  SpendCap cap(7.20, 0);
  CHECK(cap.active());
  CHECK(cap.reserve(2.40));
  CHECK(cap.reserve(2.40));
  CHECK(cap.reserve(2.40));  // 7.20 of 7.20: a float's last bit must not refuse it
  CHECK_FALSE(cap.reached());
  CHECK_FALSE(cap.reserve(2.40));
  CHECK(cap.reached());
  CHECK(cap.committed() == doctest::Approx(7.20));
}

TEST_CASE("what the batch cost before the run counts against the cap") {
  SpendCap cap(5.00, 4.80);
  CHECK_FALSE(cap.reserve(0.40));  // 5.20 > 5.00
  CHECK(cap.reached());
  CHECK(cap.committed() == doctest::Approx(4.80));
}

TEST_CASE("a price given back (no task was made) opens submitting again") {
  SpendCap cap(4.80, 0);
  CHECK(cap.reserve(2.40));
  CHECK(cap.reserve(2.40));
  CHECK_FALSE(cap.reserve(2.40));
  CHECK(cap.reached());
  cap.release(2.40);  // a 429 to one of the two: it made nothing
  CHECK_FALSE(cap.reached());
  CHECK(cap.reserve(2.40));
  CHECK(cap.committed() == doctest::Approx(4.80));
}

TEST_CASE("under a cap an unpriced render never fits") {
  SpendCap cap(1000, 0);
  CHECK_FALSE(cap.reserve(std::nullopt));
  CHECK(cap.reached());
  CHECK(cap.committed() == 0);
}
