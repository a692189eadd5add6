#pragma once
// How the run loop hands API requests to whoever makes them, and takes the answers back.
//
// The loop decides, writes the intent, send()s, and goes on; answers are take()n on a later turn
// and applied there. Every ticket send() returns comes back exactly once: as a reply from take(),
// or in the lists shutdown() returns. The loop stays the only owner of run state: a dispatch only
// calls the ApiClient and hands values back.
//
// InlineDispatch makes the call inside send() (one request at a time: the old loop, and tests on
// the fake clock). WorkerDispatch hands it to a small pool of threads. tests/support/
// delayed_dispatch.h delivers answers after a latency on the fake clock, so tests can hold many
// requests in flight without real threads.
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "api/client.h"
#include "util/clock.h"
#include "util/never.h"

namespace reelq {

using Ticket = std::uint64_t;  // 1, 2, 3, ... per dispatch, in the order of send()

// next_answer_at() when answers wait to be taken: a time always in the past.
inline constexpr TimeMs k_answers_waiting = 0;

enum class CallKind { submit, status, balance };

std::string_view to_string(CallKind kind);

// One call to make: ApiClient::submit(model, body), status(model, task_id) or balance().
struct ApiRequest {
  CallKind kind = CallKind::status;
  std::int64_t job = 0;  // the job row it belongs to (0: none, e.g. a balance read)
  std::string model;
  std::string body;     // submit: the generateTask body (api/request.h)
  std::string task_id;  // status
  // Which of the run's keys makes the call: an index into the dispatch's clients (ApiClients). A
  // task is polled with the key that created it (docs/scheduler.md "A task belongs to its key").
  int key = 0;

  static ApiRequest submit(std::int64_t job, std::string model, std::string body);
  static ApiRequest status(std::int64_t job, std::string model, std::string task_id);
  static ApiRequest balance(int key = 0);
};

// The API clients of a run's keys, by ApiRequest::key; one key, one client. The clients outlive
// the dispatch.
using ApiClients = std::vector<ApiClient*>;

// An answer, with the request it answers.
struct ApiReply {
  Ticket ticket = 0;
  ApiRequest request;
  std::variant<SubmitResult, StatusResult, BalanceResult> result;

  // The classified answer, whatever the call.
  const Answer& answer() const;
};

// A request the dispatch still held when it was shut down.
struct Unanswered {
  Ticket ticket = 0;
  ApiRequest request;
};

struct ShutdownReport {
  // Never handed to the network: safe to treat as never sent (a submit may go again later).
  std::vector<Unanswered> not_sent;
  // On its way when the grace ran out (and then cut): the server may have acted on it. For a
  // submit, exactly what an unanswered request means: ambiguous.
  std::vector<Unanswered> on_the_wire;
};

class ApiDispatch {
 public:
  virtual ~ApiDispatch() = default;
  // Hands the request on and returns at once (InlineDispatch: once answered). After shutdown()
  // nothing is sent: the ticket is answered `unreachable` (sent = false) on the next take().
  virtual Ticket send(ApiRequest request) = 0;
  // The answers that arrived since the last take, in the order they arrived; moved out.
  virtual std::vector<ApiReply> take() = 0;
  // Tickets sent whose answer has not been taken yet (answers waiting in the inbox included).
  virtual std::size_t in_flight() const = 0;
  // When take() will next have something: k_answers_waiting when it has now; a time on the run's
  // clock when the dispatch knows it (a fake-clock double); k_never when it cannot know (real
  // workers notify their wake-up instead) or nothing is in flight.
  virtual TimeMs next_answer_at() const = 0;
  // On a stop: sends nothing new, waits at most `grace` ms for answers already on their way (they
  // stay for take()), and cuts and reports the rest. Idempotent: a second call reports nothing.
  virtual ShutdownReport shutdown(TimeMs grace) = 0;
};

// Makes one call on `client` (the workers' and InlineDispatch's only work).
ApiReply call_api(ApiClient& client, Ticket ticket, ApiRequest request);
// The same with the client of the request's key; a key with no client is answered as never sent.
ApiReply call_api(const ApiClients& clients, Ticket ticket, ApiRequest request);

// The answer given to a request that was never handed to the network (after shutdown).
ApiReply never_sent(Ticket ticket, ApiRequest request, const std::string& why);

}  // namespace reelq
