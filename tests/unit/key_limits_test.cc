// The two kinds of 429 told apart (issue 19 item 2): a rate 429 pauses the key and slows it down; a
// concurrency 429 holds submits only, until a task of the key ends or a short backoff passes, and
// may teach the key's real task cap. Pure: every time here is passed in.
#include "sched/key_limits.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <optional>
#include <string>

using namespace reelq;

namespace {

constexpr TimeMs k_now = 1'000'000;

Answer a429(Limit limit, std::string api_message, std::optional<std::int64_t> retry_after = std::nullopt) {
  Answer a;
  a.kind = AnswerKind::rate_limited;
  a.http_status = 429;
  a.body_code = 429;
  a.limit = limit;
  a.api_message = api_message;
  a.message = api_message;
  a.retry_after_ms = retry_after;
  return a;
}

Answer rate_429(std::optional<std::int64_t> retry_after = std::nullopt) {
  return a429(Limit::rate, "Rate limit exceeded", retry_after);
}

Answer concurrency_429(std::optional<std::int64_t> retry_after = std::nullopt) {
  return a429(Limit::concurrency, "Concurrent task limit exceeded", retry_after);
}

// A gateway's 429 page: no envelope, no word of which cap.
Answer bare_429() {
  Answer a;
  a.kind = AnswerKind::rate_limited;
  a.http_status = 429;
  a.message = "HTTP 429 without an API envelope: 429 Too Many";
  return a;
}

LimitContext context(int window_used, int running, int rpm = 60, int max_concurrent = 10, TimeMs counted_since = 0) {
  return {window_used, rpm, running, max_concurrent, counted_since};
}

KeyLimitsConfig config() {
  KeyLimitsConfig c;
  c.rate_backoff_base = 1000;
  c.rate_backoff_cap = 60000;
  c.max_retry_after = 300000;
  c.submit_backoff_base = 5000;
  c.submit_backoff_cap = 60000;
  c.seed = 7;
  return c;
}

// The delays a Backoff with the same base, cap and seed draws: what KeyLimits must wait.
TimeMs first_delay(TimeMs base, TimeMs cap, std::uint64_t seed) {
  return Backoff(base, cap, seed).delay(1);
}

}  // namespace

TEST_CASE("the API's message names the cap, whatever its case; anything else is unknown") {
  struct Row {
    const char* message;
    Limit limit;
  };
  for (Row r : std::initializer_list<Row>{
           {"Rate limit exceeded", Limit::rate},
           {"rate limit exceeded, slow down", Limit::rate},
           {"RATE-LIMIT", Limit::rate},
           {"Too Many Requests", Limit::rate},
           {"60 requests per minute exceeded", Limit::rate},
           {"Concurrent task limit exceeded", Limit::concurrency},
           {"concurrency limit reached", Limit::concurrency},
           {"Too many running tasks", Limit::concurrency},
           {"Task limit exceeded (rate limit)", Limit::concurrency},  // the task cap's words win
           {"", Limit::unknown},
           {"Slow down", Limit::unknown},
           {"generate failed", Limit::unknown},  // "rate" inside a word is no word for the rate
       }) {
    CAPTURE(r.message);
    CHECK(limit_named(r.message) == r.limit);
  }
  CHECK(to_string(Limit::rate) == "rate");
  CHECK(to_string(Limit::concurrency) == "concurrency");
  CHECK(to_string(Limit::unknown) == "unknown");
}

TEST_CASE("which kind a 429 was: the message's word, else judged from the request and the window") {
  struct Row {
    const char* name;
    Answer answer;
    RequestKind kind;
    int window_used;
    Limit limit;
    bool inferred;
  };
  for (const Row& r : std::initializer_list<Row>{
           {"rate, said, to a submit", rate_429(), RequestKind::submit, 5, Limit::rate, false},
           {"rate, said, to a poll", rate_429(), RequestKind::poll, 5, Limit::rate, false},
           {"concurrency, said, window full", concurrency_429(), RequestKind::submit, 60, Limit::concurrency, false},
           {"unsaid, a submit, window empty", bare_429(), RequestKind::submit, 0, Limit::concurrency, true},
           {"unsaid, a submit, window at half", bare_429(), RequestKind::submit, 30, Limit::concurrency, true},
           {"unsaid, a submit, window past half", bare_429(), RequestKind::submit, 31, Limit::rate, true},
           {"unsaid, a submit, window full", bare_429(), RequestKind::submit, 60, Limit::rate, true},
           {"unsaid, a poll, window empty", bare_429(), RequestKind::poll, 0, Limit::rate, true},
           {"unsaid, a balance query", bare_429(), RequestKind::balance, 0, Limit::rate, true},
       }) {
    CAPTURE(r.name);
    KeyLimits k(config());
    Refusal f = k.on_429(r.answer, r.kind, context(r.window_used, 3), k_now);
    CHECK(f.limit == r.limit);
    CHECK(f.inferred == r.inferred);
    CHECK(f.slow_down == (r.limit == Limit::rate));
  }
}

TEST_CASE("a rate 429 pauses every request on the key and slows it down, as before") {
  KeyLimits k(config());
  TimeMs wait = first_delay(1000, 60000, 7);
  Refusal f = k.on_429(rate_429(), RequestKind::poll, context(60, 3), k_now);
  CHECK(f.slow_down);
  CHECK(f.requests_paused_until == k_now + wait);
  CHECK(f.submits_blocked_until == 0);
  CHECK_FALSE(f.learned_cap);
  CHECK(f.setting == "");
  CHECK(f.warning ==
        fmt::format("rate limited (429: Rate limit exceeded): pausing {} ms, then going on at a lower rate", wait));
  CHECK(k.requests_paused_until() == k_now + wait);
  CHECK(k.submits_blocked_until() == k_now + wait);  // a paused key sends no submit either
  CHECK_FALSE(k.may_submit(k_now + wait - 1));
  CHECK(k.may_submit(k_now + wait));
  CHECK(k.summary_note() == "");
}

TEST_CASE("rate 429s in a row back off longer each time; an accepted request starts afresh") {
  KeyLimits k(config());
  Backoff same(1000, 60000, 7);
  TimeMs first = same.delay(1);
  TimeMs second = same.delay(2);
  CHECK(k.on_429(rate_429(), RequestKind::poll, context(60, 3), k_now).requests_paused_until == k_now + first);
  TimeMs later = k_now + first;
  CHECK(k.on_429(rate_429(), RequestKind::poll, context(60, 3), later).requests_paused_until == later + second);
  k.on_accepted(RequestKind::poll);
  TimeMs after = later + second;
  TimeMs third = same.delay(1);  // the streak restarted: attempt 1 again
  CHECK(k.on_429(rate_429(), RequestKind::poll, context(60, 3), after).requests_paused_until == after + third);
}

TEST_CASE("Retry-After on a rate 429 is honoured up to the most reelq waits") {
  struct Row {
    std::int64_t retry_after;
    TimeMs paused_for;
    const char* warning;
  };
  for (Row r : std::initializer_list<Row>{
           {0, 0,
            "rate limited (429: Rate limit exceeded): pausing 0 ms as Retry-After asks, then going on at a "
            "lower rate"},
           {2000, 2000,
            "rate limited (429: Rate limit exceeded): pausing 2000 ms as Retry-After asks, then going "
            "on at a lower rate"},
           {300000, 300000,
            "rate limited (429: Rate limit exceeded): pausing 300000 ms as Retry-After asks, then "
            "going on at a lower rate"},
           {86400000, 300000,
            "rate limited (429: Rate limit exceeded): Retry-After asks 86400000 ms; pausing "
            "300000 ms, the most reelq waits, then going on at a lower rate"},
       }) {
    CAPTURE(r.retry_after);
    KeyLimits k(config());
    Refusal f = k.on_429(rate_429(r.retry_after), RequestKind::submit, context(60, 3), k_now);
    CHECK(f.requests_paused_until == k_now + r.paused_for);
    CHECK(f.warning == r.warning);
  }
}

TEST_CASE("a pause is never shortened by a later, shorter one") {
  KeyLimits k(config());
  k.on_429(rate_429(10000), RequestKind::poll, context(60, 3), k_now);
  Refusal f = k.on_429(rate_429(1000), RequestKind::poll, context(60, 3), k_now + 100);
  CHECK(f.requests_paused_until == k_now + 10000);
}

TEST_CASE("a concurrency 429 holds submits only: no pause, no slowdown, polls go on") {
  KeyLimits k(config());
  TimeMs wait = first_delay(5000, 60000, 8);
  Refusal f = k.on_429(concurrency_429(), RequestKind::submit, context(60, 10), k_now);
  CHECK(f.limit == Limit::concurrency);
  CHECK_FALSE(f.slow_down);
  CHECK(f.requests_paused_until == 0);
  CHECK(k.requests_paused_until() == 0);
  CHECK(f.submits_blocked_until == k_now + wait);
  CHECK(k.submits_blocked_until() == k_now + wait);
  CHECK_FALSE(k.may_submit(k_now));
  CHECK_FALSE(k.may_submit(k_now + wait - 1));
  CHECK(k.may_submit(k_now + wait));
  // As many running as the setting: nothing learned; the API's words are quoted.
  CHECK_FALSE(f.learned_cap);
  CHECK_FALSE(k.learned_cap());
  CHECK(f.warning == fmt::format("concurrent task limit (429: Concurrent task limit exceeded): no submit on this key "
                                 "until one of its tasks ends or {} ms pass; polls go on",
                                 wait));
}

TEST_CASE("a concurrency 429 is lifted as soon as one of the key's own tasks ends") {
  KeyLimits k(config());
  k.on_429(concurrency_429(), RequestKind::submit, context(10, 10), k_now);
  REQUIRE_FALSE(k.may_submit(k_now + 1));
  k.on_task_ended();
  CHECK(k.may_submit(k_now + 1));
  CHECK(k.submits_blocked_until() == 0);
}

TEST_CASE("a task ending does not lift a rate pause") {
  KeyLimits k(config());
  Refusal f = k.on_429(rate_429(5000), RequestKind::submit, context(60, 10), k_now);
  k.on_task_ended();
  CHECK_FALSE(k.may_submit(k_now + 1));
  CHECK(k.may_submit(f.requests_paused_until));
}

TEST_CASE("concurrency 429s in a row hold submits longer each time; an accepted submit starts afresh") {
  KeyLimits k(config());
  Backoff same(5000, 60000, 8);
  TimeMs first = same.delay(1);
  TimeMs second = same.delay(2);
  TimeMs t = k_now;
  CHECK(k.on_429(concurrency_429(), RequestKind::submit, context(5, 10), t).submits_blocked_until == t + first);
  t += first;
  CHECK(k.on_429(concurrency_429(), RequestKind::submit, context(5, 10), t).submits_blocked_until == t + second);
  k.on_accepted(RequestKind::poll);  // a poll says nothing about slots
  CHECK_FALSE(k.may_submit(t + 1));
  k.on_accepted(RequestKind::submit);
  CHECK(k.may_submit(t + 1));
  t += second;
  CHECK(k.on_429(concurrency_429(), RequestKind::submit, context(5, 10), t).submits_blocked_until == t + same.delay(1));
}

TEST_CASE("Retry-After on a concurrency 429 sets the submit hold, bounded like any other") {
  KeyLimits k(config());
  CHECK(k.on_429(concurrency_429(20000), RequestKind::submit, context(5, 10), k_now).submits_blocked_until ==
        k_now + 20000);
  KeyLimits k2(config());
  Refusal f = k2.on_429(concurrency_429(86400000), RequestKind::submit, context(5, 10), k_now);
  CHECK(f.submits_blocked_until == k_now + 300000);
  CHECK(f.requests_paused_until == 0);
}

TEST_CASE("a concurrency 429 with fewer running than the setting teaches the cap, once, with the setting to write") {
  KeyLimits k(config());
  // The key's first concurrency 429 teaches nothing: a task counted may have ended unseen.
  Refusal first = k.on_429(concurrency_429(), RequestKind::submit, context(4, 4, 60, 10), k_now - 5000);
  CHECK_FALSE(first.learned_cap);
  CHECK(first.warning.find("the key allows") == std::string::npos);
  k.on_accepted(RequestKind::submit);
  // A count with a task last seen before that first 429: still not trusted.
  Refusal stale = k.on_429(concurrency_429(), RequestKind::submit, context(4, 4, 60, 10, k_now - 6000), k_now - 10);
  CHECK_FALSE(stale.learned_cap);
  k.on_accepted(RequestKind::submit);
  // Every task in the count seen since: the count is the API's.
  Refusal f = k.on_429(concurrency_429(), RequestKind::submit, context(4, 3, 60, 10, k_now - 4000), k_now);
  const TimeMs wait = f.submits_blocked_until - k_now;  // the hold's jitter is checked above
  CHECK(wait > 0);
  REQUIRE(f.learned_cap);
  CHECK(*f.learned_cap == 3);
  CHECK(f.setting == "max_concurrent: 3");
  CHECK(f.warning == fmt::format("concurrent task limit (429: Concurrent task limit exceeded): no submit on this key "
                                 "until one of its tasks ends or {} ms pass; polls go on; the key allows 3 running "
                                 "tasks, fewer than max_concurrent 10: reelq keeps to 3 for this run (write "
                                 "`max_concurrent: 3` in the manifest's settings)",
                                 wait));
  CHECK(k.learned_cap() == 3);
  CHECK(k.max_concurrent(10) == 3);
  CHECK(k.max_concurrent(2) == 2);
  CHECK(k.summary_note() ==
        "the API allowed 3 running tasks on this key (429: Concurrent task limit exceeded), fewer than "
        "max_concurrent 10; reelq kept to 3. Write `max_concurrent: 3` in the manifest's settings.");

  // Said once: a later 429 with fewer running (another program took a slot) holds submits only.
  k.on_task_ended();
  Refusal again = k.on_429(concurrency_429(), RequestKind::submit, context(4, 2, 60, 10), k_now + 10);
  CHECK_FALSE(again.learned_cap);
  CHECK(again.setting == "");
  CHECK(k.learned_cap() == 3);
  CHECK(again.warning.find("the key allows") == std::string::npos);
}

TEST_CASE("what is not learned from a concurrency 429") {
  struct Row {
    const char* name;
    int running;
    int max_concurrent;
  };
  for (Row r : std::initializer_list<Row>{
           {"none running: every slot is someone else's", 0, 10},
           {"as many as the setting", 10, 10},
           {"more than the setting (a lowered setting on resume)", 12, 10},
       }) {
    CAPTURE(r.name);
    KeyLimits k(config());
    k.on_429(concurrency_429(), RequestKind::submit, context(4, r.running, 60, r.max_concurrent), k_now - 5000);
    k.on_accepted(RequestKind::submit);
    Refusal f = k.on_429(concurrency_429(), RequestKind::submit,
                         context(4, r.running, 60, r.max_concurrent, k_now - 1000), k_now);
    CHECK_FALSE(f.learned_cap);
    CHECK_FALSE(k.learned_cap());
    CHECK(k.max_concurrent(r.max_concurrent) == r.max_concurrent);
    CHECK(k.summary_note() == "");
  }
}

TEST_CASE("a Free-plan key at reelq's defaults: the unsaid 429 to a submit is the task cap, learned at 3") {
  // A gateway put its own page on the API's 429: no word of which cap. reelq had sent 6 requests
  // this minute (of 60) with 3 tasks running: the rate cannot be why.
  KeyLimits k(config());
  k.on_429(bare_429(), RequestKind::submit, context(6, 3, 60, 10), k_now - 9000);  // the first teaches nothing
  k.on_accepted(RequestKind::submit);
  Refusal f = k.on_429(bare_429(), RequestKind::submit, context(6, 3, 60, 10, k_now - 1000), k_now);
  CHECK(f.limit == Limit::concurrency);
  CHECK(f.inferred);
  CHECK_FALSE(f.slow_down);
  CHECK(f.requests_paused_until == 0);
  CHECK(f.learned_cap == 3);
  CHECK(
      f.warning.starts_with("concurrent task limit (429: HTTP 429 without an API envelope: 429 Too Many; taken "
                            "for the task limit: 6 of 60 requests in the last minute): no submit on this key"));
  CHECK(k.summary_note().starts_with(
      "the API allowed 3 running tasks on this key (429: HTTP 429 without an API envelope: 429 Too Many), fewer"));
}

TEST_CASE("a concurrency 429 during a rate pause keeps the pause; submits wait for the later of the two") {
  KeyLimits k(config());
  k.on_429(rate_429(30000), RequestKind::poll, context(60, 10), k_now);
  Refusal f = k.on_429(concurrency_429(1000), RequestKind::submit, context(60, 10), k_now);
  CHECK(f.requests_paused_until == k_now + 30000);
  CHECK(f.submits_blocked_until == k_now + 1000);
  CHECK(k.submits_blocked_until() == k_now + 30000);
  k.on_task_ended();
  CHECK_FALSE(k.may_submit(k_now + 1000));
  CHECK(k.may_submit(k_now + 30000));
}

TEST_CASE("the quoted message is bounded, and falls back to reelq's account when there is no envelope") {
  KeyLimits k(config());
  Answer long_one = a429(Limit::rate, std::string(450, 'x'));
  Refusal f = k.on_429(long_one, RequestKind::poll, context(60, 1), k_now);
  CHECK(f.warning.starts_with("rate limited (429: " + std::string(k_max_api_message, 'x') + "...): pausing"));
}
