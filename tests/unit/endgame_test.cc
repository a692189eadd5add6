#include "sched/endgame.h"

#include <doctest/doctest.h>

using namespace reelq;

TEST_CASE("end game: the free slot takes the job that lets every slot end soonest, not the longest") {
  // Free now, and another slot free at 10: 50 + 50 here and 60 there end by 100; starting the
  // 60 here ends at 110 whatever follows.
  std::vector<TimeMs> lengths = {60, 50, 50};
  size_t pick = choose_endgame_job(0, {10}, lengths);
  CHECK(lengths[pick] == 50);
}

TEST_CASE("end game: slots all free start the longest first") {
  std::vector<TimeMs> lengths = {1000, 3000};
  CHECK(choose_endgame_job(0, {0, 0, 0}, lengths) == 1);
}

TEST_CASE("end game: of the free slot's share, the length most common in the queue goes first") {
  // One slot: it runs everything, in any order. Rare lengths wait: in a real end game they are
  // what can even out the slots' ends once render times have scattered them.
  std::vector<TimeMs> lengths = {200, 100, 100};
  CHECK(choose_endgame_job(0, {}, lengths) == 1);
}

TEST_CASE("end game: a busy slot's expected end in the past counts as now; one job is simply started") {
  std::vector<TimeMs> lengths = {70};
  CHECK(choose_endgame_job(1000, {500, 2000}, lengths) == 0);
}

TEST_CASE("end game: 60 jobs on 10 slots end within the round cap with one of them (ASan checks the indexing)") {
  std::vector<TimeMs> lengths;
  for (int i = 0; i < 60; ++i) {
    lengths.push_back(100 + (i * 37) % 200);
  }
  std::vector<TimeMs> busy = {5, 50, 120, 180, 240, 0, 30, 90, 299};
  size_t pick = choose_endgame_job(0, busy, lengths);
  REQUIRE(pick < lengths.size());
}
