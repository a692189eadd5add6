// The request budget with requests in flight: counted at the send, held until a window after the
// answer, given back when the request never left; and, whatever the sequence, never more than the
// cap in a rolling window, neither of send times nor of the times the server could see them.
#include "sched/request_window.h"

#include <doctest/doctest.h>

#include <random>

#include "api/dispatch.h"

using namespace reelq;

namespace {
constexpr TimeMs k_minute = 60000;
constexpr TimeMs k_margin = 600;  // 1% of the window
}  // namespace

TEST_CASE("request window: a request counts when it is sent, before any answer") {
  RequestWindow w(3, k_minute);
  SendId a = w.send(0);
  SendId b = w.send(10);
  SendId c = w.send(20);
  CHECK(a != k_no_room);
  CHECK(b != k_no_room);
  CHECK(c != k_no_room);
  CHECK(w.in_flight() == 3);
  CHECK(w.used(20) == 3);
  CHECK(w.send(30) == k_no_room);  // the minute is full with three on their way
  CHECK(w.counts().sent == 3);
}

TEST_CASE("request window: all places held by requests in flight: only an answer makes room") {
  RequestWindow w(2, k_minute);
  SendId a = w.send(0);
  w.send(0);
  CHECK(w.next_allowed(5 * k_minute) == k_never);  // however long it waits
  CHECK(w.send(5 * k_minute) == k_no_room);
  w.answered(a, 1000);
  CHECK(w.in_flight() == 1);
  // The answered one holds its place until a window after its answer (the server may have seen
  // it as late as then).
  CHECK(w.next_allowed(1000) == 1000 + k_minute + k_margin);
  CHECK(w.send(1000 + k_minute + k_margin - 1) == k_no_room);
  CHECK(w.send(1000 + k_minute + k_margin) != k_no_room);
}

TEST_CASE("request window: a request that never left gives its place back at once") {
  RequestWindow w(1, k_minute);
  SendId a = w.send(0);
  CHECK(w.send(1) == k_no_room);
  w.not_sent(a);
  CHECK(w.used(1) == 0);
  CHECK(w.send(1) != k_no_room);
  CHECK(w.counts().not_sent == 1);
  w.not_sent(a);  // settled already: nothing happens
  w.answered(a, 2);
  CHECK(w.counts().not_sent == 1);
  CHECK(w.counts().answered == 0);
}

TEST_CASE("request window: a full window waits for the answered place that frees first") {
  RequestWindow w(3, k_minute);
  SendId a = w.send(0);
  SendId b = w.send(0);
  SendId c = w.send(0);
  w.answered(b, 500);
  w.answered(a, 2000);
  w.answered(c, 1000);
  CHECK(w.next_allowed(3000) == 500 + k_minute + k_margin);
  CHECK(w.used(500 + k_minute + k_margin) == 2);
}

TEST_CASE("request window: polls leave the reserve to submits and are spread over the window") {
  RequestWindow w(60, k_minute);
  CHECK(w.next_deferrable(0, 6) == 0);
  w.answered(w.send(0), 0);
  CHECK(w.next_deferrable(1, 6) == 1000);  // 60 a minute: one a second
  CHECK(w.next_allowed(1) == 1);           // a submit goes at once
  for (int i = 1; i < 54; ++i) {
    w.answered(w.send(i * 1000), i * 1000);
  }
  CHECK(w.next_deferrable(54000, 6) == k_minute + k_margin);
  CHECK(w.next_allowed(54000) == 54000);
}

TEST_CASE("request window: after a 429 the effective cap drops: fewer places") {
  RequestWindow w(4, k_minute);
  w.on_rate_limited();
  CHECK(w.effective_cap() == 3);
  w.send(0);
  w.send(0);
  w.send(0);
  CHECK(w.send(0) == k_no_room);
}

TEST_CASE("request window: after a restart the earlier run's requests and those it may have had out count") {
  RequestWindow w(5, k_minute);
  TimeMs now = 100000;
  // Two recorded (one by a clock that was ahead), and up to two that may still be on the wire.
  w.restore({now - 30000, now + 999999}, now, 2);
  CHECK(w.used(now) == 4);
  CHECK(w.send(now) != k_no_room);
  CHECK(w.send(now) == k_no_room);
  CHECK(w.next_allowed(now) == now - 30000 + k_minute + k_margin);
}

namespace {

struct Sent {
  TimeMs at = 0;
  TimeMs answered_at = 0;  // the server saw it somewhere in [at, answered_at]
  TimeMs seen_at = 0;
};

// The most of `times` inside any window [t, t + window) (a closed window of length `window` - 1).
int most_in_a_window(std::vector<TimeMs> times, TimeMs window) {
  std::sort(times.begin(), times.end());
  int most = 0;
  size_t first = 0;
  for (size_t i = 0; i < times.size(); ++i) {
    while (times[i] - times[first] >= window) {
      ++first;
    }
    most = std::max(most, static_cast<int>(i - first + 1));
  }
  return most;
}

}  // namespace

TEST_CASE("request window property: random sends, latencies and losses never exceed the cap in any window") {
  for (std::uint32_t seed = 1; seed <= 200; ++seed) {
    std::mt19937 rng(seed);
    int cap = std::uniform_int_distribution<int>(1, 12)(rng);
    RequestWindow w(cap, k_minute);
    std::vector<Sent> sent;
    std::vector<std::pair<SendId, size_t>> out;  // in flight: id, index into `sent`
    TimeMs now = 1'000'000;
    for (int step = 0; step < 400; ++step) {
      now += std::uniform_int_distribution<TimeMs>(0, 3000)(rng);
      int what = std::uniform_int_distribution<int>(0, 9)(rng);
      if (what < 5) {
        bool room = w.next_allowed(now) <= now;
        SendId id = w.send(now);
        CHECK((id != k_no_room) == room);
        if (id != k_no_room) {
          out.emplace_back(id, sent.size());
          sent.push_back({now, 0, 0});
        }
      } else if (!out.empty()) {
        size_t pick = std::uniform_int_distribution<size_t>(0, out.size() - 1)(rng);
        auto [id, index] = out[pick];
        out.erase(out.begin() + static_cast<std::ptrdiff_t>(pick));
        if (what == 9) {
          w.not_sent(id);  // never left: the server never saw it
          sent[index].at = -1;
        } else {
          w.answered(id, now);
          sent[index].answered_at = now;
          // The server saw it somewhere on its way: anywhere between send and answer.
          sent[index].seen_at = std::uniform_int_distribution<TimeMs>(sent[index].at, now)(rng);
        }
      }
      CHECK(w.used(now) <= cap);
    }
    for (auto [id, index] : out) {
      // Still on its way: the server may see it at any time from its send on.
      sent[index].answered_at = now;
      sent[index].seen_at = sent[index].at + std::uniform_int_distribution<TimeMs>(0, 5 * k_minute)(rng);
    }
    std::vector<TimeMs> send_times;
    std::vector<TimeMs> seen_times;
    for (const auto& s : sent) {
      if (s.at >= 0) {
        send_times.push_back(s.at);
      }
      if (s.answered_at > 0) {
        seen_times.push_back(s.seen_at);
      }
    }
    INFO("seed ", seed, " cap ", cap);
    CHECK(most_in_a_window(send_times, k_minute + 1) <= cap);  // windows closed at both ends
    CHECK(most_in_a_window(seen_times, k_minute + 1) <= cap);
    CHECK(w.counts().sent == static_cast<int>(sent.size()));
  }
}
