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

TEST_CASE("cap_reach walks the cap as the runner reserves: the first render that does not fit stops it") {
  // $2.40 committed, cap $7.20: two renders of $2.40 fit; the $1.20 after the one that did not is
  // never taken ahead of it.
  CapReach r = cap_reach(7.20, 2.40, {2.40, 2.40, 2.40, 1.20});
  CHECK(r.fits == 2);
  CHECK(r.renders == 4);
  CHECK(r.committed == doctest::Approx(2.40));
  REQUIRE(r.to_finish);
  CHECK(*r.to_finish == doctest::Approx(10.80));
  // An unpriced render never fits, and no cap can be said to pay for all.
  CapReach unpriced = cap_reach(100, 0, {1.20, std::nullopt, 1.20});
  CHECK(unpriced.fits == 1);
  CHECK_FALSE(unpriced.to_finish);
  CHECK(cap_reach(5, 0, {}).to_finish == doctest::Approx(0));
}
