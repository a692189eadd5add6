// The fake-clock dispatch the loop's tests use to hold many requests in flight: answers come a
// latency after their send, in the order they are due, and a stop waits its grace on the fake clock.
#include "support/delayed_dispatch.h"

#include <doctest/doctest.h>

#include "support/fake_transport.h"
#include "support/fake_wakeup.h"

using namespace reelq;

namespace {

struct World {
  test::FakeClock clock;
  test::FakeTransport transport;
  HttpApiClient client{transport, "http://127.0.0.1:9", "key", clock};

  World() { transport.clock = &clock; }
  void will_create(const std::string& task_id) {
    transport.answer(200, R"({"code":200,"message":"success","data":{"taskId":")" + task_id + R"("}})");
  }
};

std::vector<Ticket> tickets_of(const std::vector<ApiReply>& replies) {
  std::vector<Ticket> out;
  for (const auto& r : replies) {
    out.push_back(r.ticket);
  }
  return out;
}

}  // namespace

TEST_CASE("delayed dispatch: the server sees a request when it is sent; its answer comes after the latency") {
  World w;
  test::DelayedDispatch d(w.client, w.clock, 300);
  TimeMs t0 = w.clock.now_ms();
  w.will_create("task_a");
  Ticket a = d.send(ApiRequest::submit(1, "m", "{}"));
  CHECK(w.transport.times == std::vector<TimeMs>{t0});
  CHECK(d.in_flight() == 1);
  CHECK(d.next_answer_at() == t0 + 300);
  w.clock.advance(299);
  CHECK(d.take().empty());
  w.clock.advance(1);
  auto got = d.take();
  REQUIRE(got.size() == 1);
  CHECK(got[0].ticket == a);
  CHECK(std::get<SubmitResult>(got[0].result).task_id == "task_a");
  CHECK(d.in_flight() == 0);
  CHECK(d.next_answer_at() == k_never);
}

TEST_CASE("delayed dispatch: many in flight at once; a slow answer holds back only itself") {
  World w;
  test::DelayedDispatch d(w.client, w.clock, 300);
  d.latency_for = [](const ApiRequest& r, Ticket) { return r.job == 1 ? 30000 : 300; };
  TimeMs t0 = w.clock.now_ms();
  for (int i = 1; i <= 4; ++i) {
    w.will_create("task_" + std::to_string(i));
    d.send(ApiRequest::submit(i, "m", "{}"));
    w.clock.advance(100);
  }
  CHECK(d.max_in_flight == 4);
  // The loop sleeps until the next answer is due: the fake wake-up advances the clock there.
  test::FakeWakeup wakeup(w.clock);
  wakeup.wait_ms(d.next_answer_at() - w.clock.now_ms());
  CHECK(w.clock.now_ms() == t0 + 100 + 300);
  CHECK(tickets_of(d.take()) == std::vector<Ticket>{2});
  w.clock.advance(250);
  CHECK(tickets_of(d.take()) == std::vector<Ticket>{3, 4});
  CHECK(d.next_answer_at() == t0 + 30000);
  w.clock.advance(30000);
  CHECK(tickets_of(d.take()) == std::vector<Ticket>{1});
}

TEST_CASE("delayed dispatch: a stop waits its grace on the fake clock; what is due later is on the wire") {
  World w;
  test::DelayedDispatch d(w.client, w.clock, 300);
  d.latency_for = [](const ApiRequest& r, Ticket) { return r.job == 2 ? 30000 : 500; };
  w.will_create("task_1");
  w.will_create("task_2");
  TimeMs t0 = w.clock.now_ms();
  d.send(ApiRequest::submit(1, "m", "{}"));
  Ticket slow = d.send(ApiRequest::submit(2, "m", "{}"));
  ShutdownReport report = d.shutdown(2000);
  CHECK(w.clock.now_ms() == t0 + 2000);  // it waited the whole grace for the slow one
  CHECK(report.not_sent.empty());
  REQUIRE(report.on_the_wire.size() == 1);
  CHECK(report.on_the_wire[0].ticket == slow);
  CHECK(report.on_the_wire[0].request.job == 2);
  CHECK(tickets_of(d.take()) == std::vector<Ticket>{1});

  Ticket late = d.send(ApiRequest::status(3, "m", "task_1"));
  auto got = d.take();
  REQUIRE(got.size() == 1);
  CHECK(got[0].ticket == late);
  CHECK(got[0].answer().kind == AnswerKind::unreachable);
  CHECK(w.transport.requests.size() == 2);  // nothing left after the stop
}

TEST_CASE("delayed dispatch: a stop with every answer due within the grace returns when the last is in") {
  World w;
  test::DelayedDispatch d(w.client, w.clock, 300);
  w.will_create("task_1");
  TimeMs t0 = w.clock.now_ms();
  d.send(ApiRequest::submit(1, "m", "{}"));
  ShutdownReport report = d.shutdown(2000);
  CHECK(report.on_the_wire.empty());
  CHECK(w.clock.now_ms() == t0 + 300);
  CHECK(d.take().size() == 1);
}
