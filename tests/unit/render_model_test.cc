#include "sched/render_model.h"

#include <doctest/doctest.h>

using namespace reelq;

namespace {
const std::string k_8s = R"({"mode":"text-to-video","prompt":"p","duration":8,"size":"1280*720"})";
const std::string k_12s_large = R"({"mode":"text-to-video","prompt":"p","duration":12,"size":"1792*1024"})";
}  // namespace

TEST_CASE("before any render is seen, the prior: 180 s for 8 s, scaled by class") {
  RenderModel m(180000);
  CHECK(m.estimate(k_8s).median == 180000);
  CHECK_FALSE(m.estimate(k_8s).learned);
  CHECK(m.estimate(k_12s_large).median == static_cast<TimeMs>(180000 * 1.35 * 1.25));
}

TEST_CASE("three renders rescale every class; a new observation changes the estimate at once") {
  RenderModel m(180000);
  for (int i = 0; i < 3; ++i) {
    m.observe(k_8s, 90000);  // everything renders twice as fast as the prior says
  }
  RenderEstimate e = m.estimate(k_12s_large);
  CHECK(e.learned);
  CHECK(e.median == static_cast<TimeMs>(180000 * 1.35 * 1.25 * 0.5));
  CHECK(m.estimate(k_8s).median == 90000);
  for (int i = 0; i < 6; ++i) {
    m.observe(k_8s, 270000);  // now slower: the estimate kept for the class must not be reused
  }
  CHECK(m.estimate(k_8s).median == 270000);
}

TEST_CASE("a class with its own samples uses them, not the global ratio") {
  RenderModel m(180000);
  for (int i = 0; i < 3; ++i) {
    m.observe(k_8s, 180000);
    m.observe(k_12s_large, 2 * static_cast<TimeMs>(180000 * 1.35 * 1.25));
  }
  CHECK(m.estimate(k_8s).median == 180000);
  CHECK(m.estimate(k_12s_large).median == 2 * static_cast<TimeMs>(180000 * 1.35 * 1.25));
  CHECK(m.estimate(k_8s).early <= m.estimate(k_8s).median);
}
