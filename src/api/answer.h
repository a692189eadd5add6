#pragma once
// What an apixo answer means, decided from the HTTP status and the envelope's code together (a
// gateway may answer 200 with an error code inside, or an HTML 502 with no envelope at all).
// This is the one place that reads the API's message text; callers decide on Kind alone.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/answer_text.h"
#include "api/transport.h"

namespace reelq {

enum class Endpoint { generate, status, balance };

enum class AnswerKind {
  ok,
  rate_limited,       // 429: wait (Retry-After when given) and slow down; never the job's fault
  credits_exhausted,  // 402, or 400 "Insufficient credits": stop submitting
  content_rejected,   // 400 "Content violates ...": failed with CONTENT_VIOLATION, not retried
  invalid_request,    // other 4xx: failed, not retried
  unauthorized,       // 401 / 403: stop everything
  not_found,          // 404 on statusTask: the API does not know the taskId
  transient,          // 5xx, HTML, malformed body, reset, timeout: retry with backoff
  ambiguous,          // a generateTask answered by anything that does not prove the task was not
                      // made (no answer, any 5xx, a gateway's page, an unreadable 2xx): it may exist
  created_unnamed,    // a generateTask answered with a success envelope but no usable taskId: the
                      // task exists and is paid for, and cannot be asked about (never resubmitted)
  unusable,           // a 2xx statusTask answer that does not say what was asked: it names another
                      // task, or reports success without a readable http(s) result URL. Asked
                      // again a few times, then the take fails with the taskId kept (never resubmitted)
  unreachable,        // the request never left this machine (refused, DNS, connect timeout): pause
                      // the whole run; no job's fault, and safe to send again, even a submit
};

std::string_view to_string(AnswerKind kind);

// Which cap a 429 is about. apixo answers 429 both for the request rate ("Rate limit exceeded")
// and for the number of running tasks ("Concurrent task limit exceeded"); they call for different
// remedies (slow down, or wait for a slot), so the message is read once, here.
enum class Limit {
  unknown,      // the answer does not say (a gateway's page, another wording): the caller judges
  rate,         // requests per minute
  concurrency,  // tasks running at once
};

std::string_view to_string(Limit limit);  // "unknown", "rate", "concurrency"

// The cap a 429's message names, read case-insensitively: "concurren", "running task(s)",
// "task limit" are the task cap; "rate limit", "too many requests", "requests per", "per minute"
// the request rate; anything else unknown.
Limit limit_named(std::string_view message);

// The longest quote of the API's own message kept for warnings: a sentence.
constexpr std::size_t k_max_api_message = 200;

struct Answer {
  AnswerKind kind = AnswerKind::transient;
  int http_status = 0;                         // 0 when no answer came
  std::optional<int> body_code;                // the envelope's "code", when the body had one
  std::string message;                         // the envelope's message, or reelq's account of what went wrong;
                                               // redacted, printable, at most k_max_answer_message bytes
  std::string fail_code;                       // content_rejected: CONTENT_VIOLATION; unusable:
                                               // STATUS_MISMATCH or RESULT_UNREADABLE
  std::optional<std::int64_t> retry_after_ms;  // from a Retry-After header
  Limit limit = Limit::unknown;                // rate_limited: which cap, as the message names it
  std::string api_message;                     // the envelope's own "message" (with data.error), for
                                               // warnings that quote the API: redacted, printable, at
                                               // most k_max_api_message bytes; "" without an envelope
  bool sent = true;                            // false: the request never left (safe to resend, even a submit)
};

// A body read as a JSON object once, for classify() and the parse_* functions that read the same
// answer after it (an answer is parsed once, not once per question asked of it). Holds no object
// when the body is not a JSON object.
class Envelope {
 public:
  explicit Envelope(const std::string& body);
  ~Envelope();
  Envelope(const Envelope&) = delete;
  Envelope& operator=(const Envelope&) = delete;
  struct Parsed;  // answer.cc: the Poco object
  const Parsed& parsed() const { return *m_parsed; }

 private:
  std::unique_ptr<Parsed> m_parsed;
};

// Classifies one exchange. For Endpoint::generate, only an answer that proves no task was made is
// a refusal (see proves_not_created); any other answer that is not a success is `ambiguous`, and a
// success envelope without a usable taskId is `created_unnamed`. A request that never left is
// `unreachable` with sent = false, whatever the endpoint; its message is the transport's reason.
// The message is made safe with answer_text(): `secret` (the API key) never appears in it.
Answer classify(Endpoint endpoint, const HttpResponse& response, std::int64_t now_ms, const std::string& secret = "");
// The same, with the response's body already read (`body` is Envelope(response.body)).
Answer classify(Endpoint endpoint, const HttpResponse& response, const Envelope& body, std::int64_t now_ms,
                const std::string& secret = "");

// Whether an answer to a submit proves that the API made no task, so sending it again cannot pay
// twice. Only a refusal does: an API envelope whose code is 4xx (the API itself refused, whatever
// status a gateway put on it), any 4xx with an envelope, or a gateway's 401, 403 or 429 (access and
// rate limits are decided before a request is passed on). A 5xx of any kind, enveloped or not
// (500, 503, a proxy's 502/504/520-526 after it forwarded), a 3xx or 1xx, or a 4xx page from
// something else does not prove it.
bool proves_not_created(int http_status, bool has_envelope, std::optional<int> body_code);

// Retry-After as milliseconds from now: delta-seconds or an HTTP-date; nullopt when absent or bad.
std::optional<std::int64_t> parse_retry_after(const std::string& value, std::int64_t now_ms);

// A task's state as statusTask reports it.
enum class TaskState { pending, processing, success, failed, unknown };

struct TaskStatus {
  std::string task_id;
  TaskState state = TaskState::unknown;
  std::string raw_state;  // as the API spelled it (kept for unknown states, which count as running),
                          // made safe: see parse_task_status
  std::vector<std::string> result_urls;
  std::string fail_code;  // an open set: stored as given, made safe (see parse_task_status)
  std::string fail_msg;
  std::optional<std::int64_t> create_time;  // Unix ms
  std::optional<std::int64_t> complete_time;
  std::optional<std::int64_t> cost_time;  // ms
};

// Why a status answer could not be used, so the caller can tell a garbled envelope (transient)
// from one that reads fine but does not answer the question (unusable).
enum class StatusProblem { none, garbled, foreign_task, no_result };

// Parses the "data" of a successful statusTask answer (also the body of a callback). Returns
// nullopt with `why` (and `problem`) set when the data is unusable: no taskId, no state, a taskId
// other than `expected_task_id` (when that is not empty), or success without an http(s) result URL.
// Every text kept from it (raw_state, fail_code, fail_msg, and `why`) is made safe with
// answer_text(): `secret` (the API key) redacted, printable, states and codes cut to
// k_max_answer_code bytes and failMsg to k_max_answer_message.
std::optional<TaskStatus> parse_task_status(const std::string& body, std::string* why,
                                            const std::string& expected_task_id = "", StatusProblem* problem = nullptr,
                                            const std::string& secret = "");
std::optional<TaskStatus> parse_task_status(const Envelope& body, std::string* why,
                                            const std::string& expected_task_id = "", StatusProblem* problem = nullptr,
                                            const std::string& secret = "");

// The taskId of a successful generateTask answer, or "" when there is none.
std::string parse_task_id(const std::string& body);
std::string parse_task_id(const Envelope& body);

// The balance of a successful current-balance answer.
std::optional<double> parse_balance(const std::string& body);
std::optional<double> parse_balance(const Envelope& body);

}  // namespace reelq
