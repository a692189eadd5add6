#pragma once
// What an apixo answer means, decided from the HTTP status and the envelope's code together (a
// gateway may answer 200 with an error code inside, or an HTML 502 with no envelope at all).
// This is the one place that reads the API's message text; callers decide on Kind alone.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

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
  ambiguous,          // a generateTask that went out and got no usable answer: the task may exist
  unusable,           // a 2xx statusTask answer that does not say what was asked: it names another
                      // task, or reports success without a readable http(s) result URL. Asked
                      // again a few times, then the take fails with the taskId kept (never resubmitted)
  unreachable,        // the request never left this machine (refused, DNS, connect timeout): pause
                      // the whole run; no job's fault, and safe to send again, even a submit
};

std::string_view to_string(AnswerKind kind);

struct Answer {
  AnswerKind kind = AnswerKind::transient;
  int http_status = 0;                         // 0 when no answer came
  std::optional<int> body_code;                // the envelope's "code", when the body had one
  std::string message;                         // the envelope's message, or reelq's account of what went wrong
  std::string fail_code;                       // content_rejected: CONTENT_VIOLATION; unusable:
                                               // STATUS_MISMATCH or RESULT_UNREADABLE
  std::optional<std::int64_t> retry_after_ms;  // from a Retry-After header
  bool sent = true;                            // false: the request never left (safe to resend, even a submit)
};

// Classifies one exchange. For Endpoint::generate, an answer that leaves open whether a task was
// made is `ambiguous`: no answer after the request went out, a 2xx without a readable taskId, or
// a gateway's 502/504 (the API behind it may have acted). A request that never left is
// `unreachable` with sent = false, whatever the endpoint; its message is the transport's reason.
Answer classify(Endpoint endpoint, const HttpResponse& response, std::int64_t now_ms);

// Retry-After as milliseconds from now: delta-seconds or an HTTP-date; nullopt when absent or bad.
std::optional<std::int64_t> parse_retry_after(const std::string& value, std::int64_t now_ms);

// A task's state as statusTask reports it.
enum class TaskState { pending, processing, success, failed, unknown };

struct TaskStatus {
  std::string task_id;
  TaskState state = TaskState::unknown;
  std::string raw_state;  // as the API spelled it (kept for unknown states, which count as running)
  std::vector<std::string> result_urls;
  std::string fail_code;  // an open set: stored as given
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
std::optional<TaskStatus> parse_task_status(const std::string& body, std::string* why,
                                            const std::string& expected_task_id = "",
                                            StatusProblem* problem = nullptr);

// `text` cut to at most `max` bytes with "..." and made printable (control bytes as '?'), for
// echoing values an answer chose (a 10 KB taskId, one with NUL) into messages and logs.
std::string printable_excerpt(const std::string& text, size_t max = 64);

// The taskId of a successful generateTask answer, or "" when there is none.
std::string parse_task_id(const std::string& body);

// The balance of a successful current-balance answer.
std::optional<double> parse_balance(const std::string& body);

}  // namespace reelq
