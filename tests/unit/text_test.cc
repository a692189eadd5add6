#include "util/text.h"

#include <doctest/doctest.h>

using namespace reelq;

TEST_CASE("count_of says 1 render and 2 renders, never 1 renders") {
  CHECK(count_of(0, "render") == "0 renders");
  CHECK(count_of(1, "render") == "1 render");
  CHECK(count_of(2, "job") == "2 jobs");
}
