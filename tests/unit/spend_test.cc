// What reelq says a batch cost: rendered takes spent, failed tasks possibly charged, and the
// balance read around each run settling which (issue 17 item 5, issue 18 items 7 and 10).
#include "cost/spend.h"

#include <doctest/doctest.h>

#include "cli/time_window.h"
#include "cost/balance_settle.h"
#include "queue/run_ledger.h"
#include "support/sim_run.h"

using namespace reelq;

namespace {

PriceTable table() {
  auto t = parse_prices(R"({"currency":"USD","models":{"m":{"1280*720":0.3}}})", "t.json");
  REQUIRE(t.ok());
  return t.value();
}

// An 8-second render at 1280*720: $2.40 by table().
SubmittedRender render(TaskFate fate, bool certain = true, const std::string& prompt = "a") {
  SubmittedRender r;
  r.input_json = R"({"duration":8,"mode":"text-to-video","prompt":")" + prompt + R"(","size":"1280*720"})";
  r.certain = certain;
  r.fate = fate;
  r.request_body = R"({"model":"m","input":)" + r.input_json + "}";
  return r;
}

}  // namespace

TEST_CASE("spend: only rendered takes are spent; failed tasks are possibly charged, apart from duplicates") {
  std::vector<SubmittedRender> submitted = {render(TaskFate::rendered), render(TaskFate::failed),
                                            render(TaskFate::failed), render(TaskFate::not_ended, false)};
  Spend s = price_submitted(submitted, "m", table());
  CHECK(s.tasks == 3);
  CHECK(s.cost == doctest::Approx(7.20));  // every task created, priced: the most it can have cost
  CHECK(s.rendered == 1);
  CHECK(s.rendered_cost == doctest::Approx(2.40));
  CHECK(s.failed == 2);
  CHECK(s.failed_cost == doctest::Approx(4.80));
  CHECK(s.possible == 1);
  CHECK(describe_spend(s, "USD") ==
        "$2.40 for 1 rendered take (3 tasks created); possibly charged: 2 failed tasks (up to $4.80 more), 1 "
        "possible duplicate charge (up to $2.40 more)");
  CHECK(spend_json(s, "USD") ==
        R"({"tasks":3,"cost":7.20,"currency":"USD","possible_duplicates":1,"possible_cost":2.40,"unpriced":0,)"
        R"("rendered":1,"rendered_cost":2.40,"failed":2,"failed_cost":4.80,"not_ended":0,"not_ended_cost":0.00,)"
        R"("settled_none":0})");
  Spend open = price_submitted({render(TaskFate::not_ended)}, "m", table());
  CHECK(describe_spend(open, "EUR") ==
        "0.00 EUR for 0 rendered takes (1 task created); 1 task not ended (2.40 EUR if "
        "it renders)");
}

TEST_CASE("balance: the difference settles whether failed tasks and possible duplicates were charged") {
  Spend s = price_submitted({render(TaskFate::rendered), render(TaskFate::failed), render(TaskFate::failed),
                             render(TaskFate::not_ended, false)},
                            "m", table());
  // reelq's own simulator refunds failed renders: its balance fell by the rendered take only.
  CHECK(settle_balance(s, 2.40, "USD") ==
        "as reelq counts for the rendered takes; the 2 failed tasks and 1 possible duplicate charge cost nothing");
  CHECK(settle_balance(s, 7.20, "USD") ==
        "as reelq counts for the rendered takes and the 2 failed tasks: failed tasks were charged; the 1 possible "
        "duplicate charge cost nothing");
  CHECK(settle_balance(s, 9.60, "USD") ==
        "$7.20 more than reelq counts for the rendered takes: failed tasks or duplicates charged, or another use of "
        "the key meanwhile");
  CHECK(settle_balance(s, 0, "USD") ==
        "$2.40 less than reelq counts for the rendered takes: a charge not yet taken, a refund, or a top-up meanwhile");
  CHECK(describe_balance({1000.0, 997.6, 1, 2.4}, s, "USD") ==
        "$1000.00 before the run, $997.60 after: down $2.40, as reelq counts for the rendered takes; the 2 failed "
        "tasks and 1 possible duplicate charge cost nothing");
  CHECK(describe_balance({1000.0, std::nullopt, 1, 0}, s, "USD") == "");
  // Not "down $0.00": a trial read that as a charge.
  CHECK(describe_balance({1000.0, 1000.0, 1, 0.0}, s, "USD").starts_with("$1000.00 before the run, $1000.00 after: "
                                                                         "unchanged, $2.40 less than"));
  CHECK(describe_balance({std::nullopt, std::nullopt, 3, 2.4}, s, "USD") ==
        "down $2.40 over the 3 runs read before and after: as reelq counts for the rendered takes; the 2 failed tasks "
        "and 1 possible duplicate charge cost nothing");
  // A batch whose first run was stopped before its end balance was read: the one run read is named
  // as one of several, not as "the run" (a new user took its figure for the batch's).
  CHECK(describe_balance({1000.0, 997.6, 1, 2.4, 1}, s, "USD") ==
        "down $2.40 over the 1 run read before and after (1 other run stopped before the balance after it was "
        "read; its submits are not in this figure): as reelq counts for the rendered takes; the 2 failed tasks and "
        "1 possible duplicate charge cost nothing");
  CHECK(balance_json({1000.0, 997.6, 1, 2.4}) ==
        R"({"before":1000.0000,"after":997.6000,"difference":2.4000,"runs":1})");
  CHECK(balance_json({1000.0, std::nullopt, 1, 0}) == "null");
}

TEST_CASE("spend: a simulator's count per input settles submits of unknown fate") {
  // Input a: one task known, one submit of unknown fate, the simulator made one: no duplicate.
  // Input b: one known, one unknown, the simulator made two: a duplicate for certain.
  std::vector<SubmittedRender> submitted = {
      render(TaskFate::rendered, true, "a"), render(TaskFate::not_ended, false, "a"),
      render(TaskFate::rendered, true, "b"), render(TaskFate::not_ended, false, "b")};
  std::map<std::string, int> created = {{canonical_input(submitted[0].request_body), 1},
                                        {canonical_input(submitted[2].request_body), 2}};
  CHECK(canonical_input(submitted[0].request_body) ==
        R"({"duration":8,"mode":"text-to-video","prompt":"a","size":"1280*720"})");
  CHECK(settle_by_created(submitted, created) == 1);
  REQUIRE(submitted.size() == 3);
  Spend s = price_submitted(submitted, "m", table());
  CHECK(s.possible == 0);
  CHECK(s.tasks == 3);
  CHECK(s.not_ended == 1);  // the duplicate the simulator made
  CHECK(canonical_input("not json") == "");
}

TEST_CASE("time window: dates, times and ages; a bad bound names the flag") {
  TimeMs now = 1'764'806'400'000;  // 2025-12-04T00:00:00Z
  CHECK(parse_time_bound("--since", "2025-12-04", now).value() == now);
  CHECK(parse_time_bound("--since", "2025-12-04T18:30", now).value() == now + 18 * 3'600'000 + 30 * 60'000);
  CHECK(parse_time_bound("--since", "2025-12-04T18:30:05Z", now).value() == now + 66'605'000);
  CHECK(parse_time_bound("--since", "12h", now).value() == now - 12 * 3'600'000);
  CHECK(parse_time_bound("--since", "90m", now).value() == now - 90 * 60'000);
  auto bad = parse_time_bound("--until", "yesterday", now);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message ==
        "--until: 'yesterday' is not a date or an age (give 2026-12-04, 2026-12-04T18:00 in UTC, or 12h, 90m, 2d for "
        "that long ago)");
  CHECK_FALSE(parse_time_bound("--since", "2025-02-30", now).ok());
  auto backwards = parse_time_window("2025-12-05", "2025-12-04", now);
  REQUIRE_FALSE(backwards.ok());
  CHECK(backwards.error().message ==
        "--until (2025-12-04T00:00:00Z) must be later than --since (2025-12-05T00:00:00Z)");
  CHECK(describe_window(parse_time_window("2025-12-04", "", now).value()) == " since 2025-12-04T00:00:00Z");
}

TEST_CASE("a batch with a failed task: the queue knows the fate, and the run's balance shows the refund") {
  test::SimRun h;
  REQUIRE(h.try_enqueue("batch: night\ndefaults: {duration: 8, size: 1280*720}\njobs:\n"
                        "  - id: ok\n    prompt: one\n  - id: bad\n    prompt: VIOLATEME two\n") == "");
  HttpApiClient api(*h.transport, "http://sim", h.key, h.clock);
  auto before = api.balance().balance;
  REQUIRE(before.has_value());
  auto run = start_run(h.queue->db(), "night", h.clock.now_ms(), before);
  REQUIRE(run.ok());
  REQUIRE(h.run().end == RunEnd::finished);
  auto after = api.balance().balance;
  REQUIRE(end_run(h.queue->db(), *run, h.clock.now_ms(), after).ok());
  auto prices = load_prices("");
  REQUIRE(prices.ok());

  auto m = run_money(h.queue->db(), *run, "sora-2-pro", *prices);
  REQUIRE(m.ok());
  CHECK(m->spend.rendered == 1);
  CHECK(m->spend.failed == 1);
  CHECK(m->spend.rendered_cost == doctest::Approx(2.40));
  // The simulator charged both tasks and refunded the failed one.
  CHECK(*before - *after == doctest::Approx(2.40));
  CHECK(m->balance.difference == doctest::Approx(2.40));
  CHECK(settle_balance(m->spend, m->balance.difference, "USD") ==
        "as reelq counts for the rendered takes; the 1 failed task cost nothing");

  auto all = batch_money(h.queue->db(), "night", "sora-2-pro", *prices);
  REQUIRE(all.ok());
  CHECK(all->balance.runs == 1);
  CHECK(all->spend_in_read.tasks == 2);
  // A window before the batch counts nothing.
  auto none = batch_money(h.queue->db(), "night", "sora-2-pro", *prices, TimeWindow{std::nullopt, 1});
  REQUIRE(none.ok());
  CHECK(none->spend.tasks == 0);
  CHECK(none->balance.runs == 0);
}
