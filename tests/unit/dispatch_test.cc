// The API dispatches: every ticket comes back exactly once, in the order answers arrive; a stop
// sends nothing new and reports what was never sent and what was on the wire. WorkerDispatch runs
// real threads against a client whose calls end only when the test says (support/gate_client.h):
// no assert depends on timing.
#include <doctest/doctest.h>

#include <algorithm>
#include <set>

#include "api/inline_dispatch.h"
#include "api/worker_dispatch.h"
#include "support/fake_wakeup.h"
#include "support/gate_client.h"

using namespace reelq;

namespace {

constexpr TimeMs k_forever = 24LL * 3600 * 1000;  // only a notify ends such a wait

std::vector<Ticket> tickets_of(const std::vector<ApiReply>& replies) {
  std::vector<Ticket> out;
  for (const auto& r : replies) {
    out.push_back(r.ticket);
  }
  return out;
}

std::vector<Ticket> tickets_of(const std::vector<Unanswered>& list) {
  std::vector<Ticket> out;
  for (const auto& u : list) {
    out.push_back(u.ticket);
  }
  return out;
}

// Takes until `n` replies have come, sleeping on the wake-up in between.
std::vector<ApiReply> take_n(ApiDispatch& d, Wakeup& w, std::size_t n) {
  std::vector<ApiReply> got;
  for (;;) {
    for (auto& r : d.take()) {
      got.push_back(std::move(r));
    }
    if (got.size() >= n) {
      return got;
    }
    w.wait_ms(k_forever);
  }
}

}  // namespace

TEST_CASE("inline dispatch: the call is made in send(); its answer comes on the next take, with its request") {
  test::GateClient client(false);
  test::FakeClock clock;
  test::FakeWakeup wakeup(clock);
  InlineDispatch d(client, &wakeup);
  CHECK(d.next_answer_at() == k_never);
  Ticket a = d.send(ApiRequest::submit(7, "m", "body-7"));
  Ticket b = d.send(ApiRequest::status(8, "m", "task-8"));
  CHECK(a == 1);
  CHECK(b == 2);
  CHECK(client.calls() == 2);
  CHECK(d.in_flight() == 2);
  CHECK(d.next_answer_at() == k_answers_waiting);
  CHECK(wakeup.wait_ms(1000) == Woke::notified);  // the loop that sleeps now comes back at once
  auto replies = d.take();
  REQUIRE(replies.size() == 2);
  CHECK(replies[0].ticket == a);
  CHECK(replies[0].request.job == 7);
  CHECK(std::get<SubmitResult>(replies[0].result).task_id == "t-body-7");
  CHECK(replies[1].request.kind == CallKind::status);
  CHECK(std::get<StatusResult>(replies[1].result).status->task_id == "task-8");
  CHECK(replies[1].answer().kind == AnswerKind::ok);
  CHECK(d.in_flight() == 0);
  CHECK(d.take().empty());
}

TEST_CASE("inline dispatch: after shutdown nothing is sent; the ticket is answered 'unreachable, not sent'") {
  test::GateClient client(false);
  InlineDispatch d(client);
  ShutdownReport report = d.shutdown(1000);
  CHECK(report.not_sent.empty());
  CHECK(report.on_the_wire.empty());
  Ticket t = d.send(ApiRequest::balance());
  CHECK(client.calls() == 0);
  auto replies = d.take();
  REQUIRE(replies.size() == 1);
  CHECK(replies[0].ticket == t);
  CHECK(replies[0].answer().kind == AnswerKind::unreachable);
  CHECK_FALSE(replies[0].answer().sent);
  CHECK(std::holds_alternative<BalanceResult>(replies[0].result));
}

TEST_CASE("worker dispatch: several requests on their way at once; answers come in the order they arrive") {
  test::GateClient client;
  ThreadWakeup wakeup;
  WorkerDispatch d(client, 3, wakeup);
  Ticket a = d.send(ApiRequest::submit(1, "m", "a"));
  Ticket b = d.send(ApiRequest::status(2, "m", "b"));
  Ticket c = d.send(ApiRequest::submit(3, "m", "c"));
  client.wait_until_waiting(3);  // three workers, three calls out at once
  CHECK(d.in_flight() == 3);
  CHECK(d.take().empty());
  CHECK(d.next_answer_at() == k_never);

  client.open("b");
  auto first = take_n(d, wakeup, 1);
  CHECK(tickets_of(first) == std::vector<Ticket>{b});
  CHECK(first[0].request.job == 2);
  CHECK(d.in_flight() == 2);

  client.open("c");
  CHECK(tickets_of(take_n(d, wakeup, 1)) == std::vector<Ticket>{c});
  client.open("a");
  auto last = take_n(d, wakeup, 1);
  CHECK(tickets_of(last) == std::vector<Ticket>{a});
  CHECK(std::get<SubmitResult>(last[0].result).task_id == "t-a");
  CHECK(d.in_flight() == 0);
  CHECK(d.shutdown(0).on_the_wire.empty());
}

TEST_CASE("worker dispatch: more requests than workers wait their turn; a hung call holds only its own worker") {
  test::GateClient client;
  ThreadWakeup wakeup;
  WorkerDispatch d(client, 2, wakeup);
  d.send(ApiRequest::status(1, "m", "hung"));
  Ticket second = d.send(ApiRequest::status(2, "m", "x"));
  Ticket third = d.send(ApiRequest::status(3, "m", "y"));
  client.wait_until_waiting(2);
  CHECK(client.waiting() == std::multiset<std::string>{"hung", "x"});  // "y" waits for a worker
  client.open("x");
  client.open("y");
  auto got = take_n(d, wakeup, 2);
  CHECK(tickets_of(got) == std::vector<Ticket>{second, third});
  CHECK(d.in_flight() == 1);
  client.open("hung");
  take_n(d, wakeup, 1);
}

TEST_CASE("worker dispatch: shutdown reports what no worker had started as not sent, and cuts what was out") {
  test::GateClient client;
  ThreadWakeup wakeup;
  WorkerDispatch d(client, 1, wakeup);
  Ticket out = d.send(ApiRequest::submit(1, "m", "out"));
  client.wait_until_waiting(1);
  Ticket queued1 = d.send(ApiRequest::submit(2, "m", "q1"));
  Ticket queued2 = d.send(ApiRequest::status(3, "m", "q2"));
  // No grace: the call out cannot have answered (its gate is shut), so this is no race.
  ShutdownReport report = d.shutdown(0);
  CHECK(tickets_of(report.not_sent) == std::vector<Ticket>{queued1, queued2});
  CHECK(report.not_sent[0].request.job == 2);
  CHECK(tickets_of(report.on_the_wire) == std::vector<Ticket>{out});
  CHECK(report.on_the_wire[0].request.kind == CallKind::submit);
  // The cut call was aborted (which ended it) and its late answer is not a second one.
  CHECK(d.take().empty());
  CHECK(client.calls() == 1);                // the queued ones never reached the client
  CHECK(d.shutdown(0).on_the_wire.empty());  // once is enough
}

TEST_CASE("worker dispatch: answers on their way within the grace are waited for and taken, not reported") {
  test::GateClient client;
  ThreadWakeup wakeup;
  WorkerDispatch d(client, 2, wakeup);
  Ticket a = d.send(ApiRequest::submit(1, "m", "a"));
  Ticket b = d.send(ApiRequest::submit(2, "m", "b"));
  client.wait_until_waiting(2);
  client.open("a");
  client.open("b");
  // Whether they have answered yet or not, a grace no run reaches covers them.
  ShutdownReport report = d.shutdown(k_forever);
  CHECK(report.not_sent.empty());
  CHECK(report.on_the_wire.empty());
  auto got = d.take();
  std::vector<Ticket> t = tickets_of(got);
  std::sort(t.begin(), t.end());
  CHECK(t == std::vector<Ticket>{a, b});
}

TEST_CASE("worker dispatch: a send after shutdown is answered 'not sent' and wakes the loop") {
  test::GateClient client;
  ThreadWakeup wakeup;
  WorkerDispatch d(client, 1, wakeup);
  d.shutdown(0);
  Ticket t = d.send(ApiRequest::submit(4, "m", "late"));
  CHECK(wakeup.wait_ms(k_forever) == Woke::notified);
  auto got = d.take();
  REQUIRE(got.size() == 1);
  CHECK(got[0].ticket == t);
  CHECK(got[0].answer().kind == AnswerKind::unreachable);
  CHECK_FALSE(got[0].answer().sent);
  CHECK(client.calls() == 0);
}

TEST_CASE("worker dispatch: many requests over many workers: each ticket answered exactly once") {
  test::GateClient client(false);
  ThreadWakeup wakeup;
  WorkerDispatch d(client, 4, wakeup);
  constexpr int k_requests = 500;
  std::set<Ticket> sent;
  for (int i = 0; i < k_requests; ++i) {
    sent.insert(d.send(ApiRequest::status(i, "m", std::to_string(i))));
  }
  auto got = take_n(d, wakeup, k_requests);
  CHECK(got.size() == k_requests);
  std::set<Ticket> answered;
  for (const auto& r : got) {
    CHECK(answered.insert(r.ticket).second);
    CHECK(std::get<StatusResult>(r.result).status->task_id == std::to_string(r.request.job));
  }
  CHECK(answered == sent);
  CHECK(d.in_flight() == 0);
}
