#include "cost/estimate.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "cost/spend.h"
#include "sched/balance_check.h"
#include "support/run_harness.h"

using namespace reelq;

namespace {

PriceTable table() {
  auto t = parse_prices(R"({"currency":"USD","models":{"m":{"1280*720":0.5,"1080p":1}}})", "t.json");
  REQUIRE(t.ok());
  return t.value();
}

}  // namespace

TEST_CASE("the built-in price table loads and prices every size and resolution the manifest allows") {
  auto t = load_prices("");
  REQUIRE(t.ok());
  for (const char* tier : {"720*1280", "1280*720", "1024*1792", "1792*1024", "720p", "1080p"}) {
    CHECK(t->per_second.at("sora-2-pro").contains(tier));
  }
}

TEST_CASE("a bad price table is refused with its name and the place of the problem") {
  CHECK(parse_prices("{", "p.json").error().message.starts_with("p.json: not a price table: "));
  CHECK(parse_prices(R"({"x":1})", "p.json").error().message == "p.json: no \"models\" object");
  CHECK(parse_prices(R"({"models":{"m":{"720p":-1}}})", "p.json").error().message ==
        "p.json: models.m.720p must be a price per second, a number >= 0 (got -1)");
  CHECK(parse_prices(R"({"models":{"m":{"720p":"cheap"}}})", "p.json").error().message ==
        "p.json: models.m.720p must be a price per second, a number >= 0 (got cheap)");
  CHECK(load_prices("/nonexistent/p.json").error().message == "/nonexistent/p.json: cannot read the price table");
}

TEST_CASE("an estimate prices each render by tier and duration and lists what it cannot price") {
  std::vector<RenderSpec> renders = {{"1280*720", 8, 1.0}, {"1280*720", 8, 1.0}, {"1080p", 12, 1.6875}, {"4k", 4, 0.7}};
  Estimate e = estimate_renders(renders, "m", table(), 10, 60, 180000);
  CHECK(e.renders == 4);
  CHECK(e.video_seconds == 32);
  CHECK(e.cost == doctest::Approx(4 + 4 + 12));
  CHECK(e.unpriced == std::vector<std::string>{"4k"});
  REQUIRE(e.lines.size() == 3);
  // Fewer renders than slots: the longest render is the bound.
  CHECK(e.render_bound_ms == static_cast<TimeMs>(180000 * 1.6875));
  CHECK(e.request_bound_ms == 8000);  // 8 requests at 60 a minute
}

TEST_CASE("with more renders than slots the bound is their total time over the slots") {
  std::vector<RenderSpec> renders(30, RenderSpec{"1280*720", 8, 1.0});
  Estimate e = estimate_renders(renders, "m", table(), 10, 60, 180000);
  CHECK(e.render_bound_ms == 3 * 180000);
  Estimate free_plan = estimate_renders(renders, "m", table(), 3, 10, 180000);
  CHECK(free_plan.render_bound_ms == 10 * 180000);
  CHECK(free_plan.request_bound_ms == 6 * 60000);
  CHECK(free_plan.wall_lower_bound_ms() == 10 * 180000);
}

TEST_CASE("the balance check: covered, short, refused, and no request when nothing is left to submit") {
  const char* batch =
      "batch: night\ndefaults: {duration: 8, size: 1280*720}\njobs:\n"
      "  - prompt: a\n  - prompt: b\n  - prompt: c\n";
  auto prices = load_prices("");
  REQUIRE(prices.ok());
  SUBCASE("covered, and the request is in the events table so the runner counts it") {
    test::RunHarness h;
    h.enqueue(batch);
    h.api = std::make_unique<HttpApiClient>(*h.transport, "http://sim", h.key, h.clock);
    BalanceVerdict v = check_balance(*h.store, *h.api, h.clock, "night", "sora-2-pro", *prices, h.settings);
    CHECK(v.kind == BalanceKind::covered);
    CHECK(v.renders == 3);
    CHECK(v.cost == doctest::Approx(7.2));
    CHECK(v.balance == doctest::Approx(1000));
    CHECK(h.queue->db()
              .execAndGet("SELECT count(*) FROM events WHERE job IS NULL AND endpoint = 'balance' AND "
                          "outcome = 'ok'")
              .getInt() == 1);
  }
  SUBCASE("short: says how many renders the balance covers") {
    SimConfig c;
    c.credits = 5;
    test::RunHarness h(c);
    h.enqueue(batch);
    h.api = std::make_unique<HttpApiClient>(*h.transport, "http://sim", h.key, h.clock);
    BalanceVerdict v = check_balance(*h.store, *h.api, h.clock, "night", "sora-2-pro", *prices, h.settings);
    CHECK(v.kind == BalanceKind::short_funds);
    CHECK(v.affordable == 2);
    CHECK(v.renders == 3);
  }
  SUBCASE("a refused key") {
    test::RunHarness h;
    h.enqueue(batch);
    h.api = std::make_unique<HttpApiClient>(*h.transport, "http://sim", "wrong", h.clock);
    BalanceVerdict v = check_balance(*h.store, *h.api, h.clock, "night", "sora-2-pro", *prices, h.settings);
    CHECK(v.kind == BalanceKind::key_refused);
    CHECK(v.message.find("wrong") == std::string::npos);
  }
  SUBCASE("nothing left: no request at all") {
    test::RunHarness h;
    h.enqueue(batch);
    REQUIRE(h.run().end == RunEnd::finished);
    int before = h.stats()->getValue<int>("total_requests");
    BalanceVerdict v = check_balance(*h.store, *h.api, h.clock, "night", "sora-2-pro", *prices, h.settings);
    CHECK(v.kind == BalanceKind::covered);
    CHECK(v.renders == 0);
    CHECK(h.stats()->getValue<int>("total_requests") == before);
  }
}

TEST_CASE("a rehearsal's time scale makes the batch's least wall time last the target, within limits") {
  auto manifest_of = [](int jobs, const char* size, int duration) {
    std::string text = fmt::format("batch: r\ndefaults: {{duration: {}, size: \"{}\"}}\njobs:\n", duration, size);
    for (int i = 0; i < jobs; ++i) {
      text += fmt::format("  - prompt: p{}\n", i);
    }
    auto m = parse_manifest(text, {"m.yaml", "."});
    REQUIRE(m.ok());
    return m.value();
  };
  Settings pro;
  // One 8 s 720p render: 3 minutes at the least, so a minute needs a third of real time.
  CHECK(rehearsal_time_scale(manifest_of(1, "1280*720", 8), pro, 60000) == doctest::Approx(1.0 / 3));
  // Forty over ten slots: four rounds of 3 minutes.
  CHECK(rehearsal_time_scale(manifest_of(40, "1280*720", 8), pro, 60000) == doctest::Approx(60.0 / 720));
  Settings free_plan;
  free_plan.max_concurrent = 3;
  free_plan.rpm = 10;
  CHECK(rehearsal_time_scale(manifest_of(40, "1280*720", 8), free_plan, 60000) ==
        doctest::Approx(60.0 / (40 * 180.0 / 3)));
  // Never slower than real time, never faster than 0.002.
  CHECK(rehearsal_time_scale(manifest_of(1, "1280*720", 4), pro, 3'600'000) == 1.0);
  CHECK(rehearsal_time_scale(manifest_of(3000, "1280*720", 8), pro, 60000) == 0.002);
}

TEST_CASE("price_of: duration times the per-second price of the tier, none when unpriced") {
  CHECK(*price_of({"1080p", 12, 1}, "m", table()) == doctest::Approx(12));
  CHECK_FALSE(price_of({"4k", 4, 1}, "m", table()).has_value());
  CHECK_FALSE(price_of({"1080p", 4, 1}, "other-model", table()).has_value());
}

TEST_CASE("spend: tasks created are priced, submits of unknown fate are counted apart") {
  auto prices = load_prices("");
  REQUIRE(prices.ok());
  std::vector<SubmittedRender> submitted = {
      {R"({"duration":8,"mode":"text-to-video","prompt":"a","size":"1280*720"})", true},
      {R"({"duration":12,"mode":"text-to-video","prompt":"b","size":"1280*720"})", true},
      {R"({"duration":8,"mode":"text-to-video","prompt":"a","size":"1280*720"})", false},
  };
  Spend s = price_submitted(submitted, "sora-2-pro", *prices);
  CHECK(s.tasks == 2);
  CHECK(s.cost == doctest::Approx(6.00));
  CHECK(s.possible == 1);
  CHECK(s.possible_cost == doctest::Approx(2.40));
  // Issue 17 item 5: tasks whose end is not known are not "spent"; they are said apart.
  CHECK(describe_spend(s, "USD") ==
        "$0.00 for 0 rendered takes (2 tasks created); possibly charged: 1 possible "
        "duplicate charge (up to $2.40 more); 2 tasks not ended ($6.00 if they render)");
  CHECK(describe_spend(Spend{}, "EUR") == "0.00 EUR for 0 rendered takes (0 tasks created)");
}
