// libFuzzer target: one HTTP exchange with the apixo API -> classify() and the parsers behind it
// (parse_task_id, parse_task_status, parse_balance, parse_retry_after, printable_excerpt).
//
// The input is a small HTTP-like text, so seeds are readable and mutations vary every part:
//   ENDPOINT STATUS [WIRE]        generate|status|balance, 0-999, answered|not_sent|no_answer
//   Name: value                   response headers (Retry-After among them), until a blank line
//   BODY                          the rest, as the body
// An `Expect-Task: ID` header is the taskId a status query asked about (none: any).
#include <cctype>
#include <cstdint>
#include <string>

#include "api/answer.h"
#include "fuzz_check.h"

using namespace reelq;
using reelq::fuzz::require;
using reelq::fuzz::take_line;
using reelq::fuzz::take_word;
using reelq::fuzz::to_number;

namespace {

constexpr std::int64_t k_now_ms = 1'767'225'600'000;  // 2026-01-01T00:00:00Z
const std::string k_secret = "sk-fuzz";               // an answer that echoes it must not show it

struct Exchange {
  Endpoint endpoint = Endpoint::status;
  HttpResponse response;
  std::string expected_task_id;
};

Exchange read_exchange(std::string_view in) {
  Exchange x;
  std::string_view first = take_line(in);
  std::string_view endpoint = take_word(first);
  x.endpoint = endpoint == "generate"  ? Endpoint::generate
               : endpoint == "balance" ? Endpoint::balance
                                       : Endpoint::status;
  x.response.status = static_cast<int>(to_number(take_word(first), 200, 3));
  std::string_view wire = take_word(first);
  x.response.wire = wire == "not_sent"    ? WireOutcome::not_sent
                    : wire == "no_answer" ? WireOutcome::no_answer
                                          : WireOutcome::answered;
  for (std::string_view line = take_line(in); !line.empty(); line = take_line(in)) {
    size_t colon = line.find(':');
    std::string name(line.substr(0, colon));
    std::string value(colon == std::string_view::npos ? "" : line.substr(colon + 1));
    value.erase(0, value.find_first_not_of(' '));
    if (name == "Expect-Task") {
      x.expected_task_id = value;
    }
    x.response.headers.emplace_back(std::move(name), std::move(value));
  }
  x.response.body = std::string(in);
  if (x.response.wire != WireOutcome::answered) {
    x.response.error = x.response.body;
  }
  return x;
}

bool printable(const std::string& s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return false;
    }
  }
  return true;
}

// The scheme compared without regard to case, as URLs are.
bool is_http(const std::string& url) {
  std::string scheme = url.substr(0, url.find(':'));
  for (char& c : scheme) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return (scheme == "http" || scheme == "https") && url.find("://") == scheme.size();
}

void check_classify(const Exchange& x) {
  Answer a = classify(x.endpoint, x.response, k_now_ms, k_secret);
  require(a.message.find(k_secret) == std::string::npos, "an answer's message never holds the key");
  if (x.response.wire == WireOutcome::not_sent) {
    require(a.kind == AnswerKind::unreachable && !a.sent, "a request that never left is unreachable");
    require(printable(a.message), "an answer's message is printable");
    return;
  }
  require(a.sent && a.kind != AnswerKind::unreachable, "a request that went out is never unreachable");
  require(!a.retry_after_ms || *a.retry_after_ms >= 0, "Retry-After is never negative");
  require(printable(a.message) && a.message.size() <= 503, "an answer's message is printable and short");
  if (x.endpoint == Endpoint::generate) {
    require(a.kind != AnswerKind::ok || !parse_task_id(x.response.body).empty(),
            "an ok submit has a taskId reelq can keep");
    require(a.kind != AnswerKind::transient || x.response.wire == WireOutcome::answered,
            "a submit with no answer is ambiguous, never plainly transient");
    bool says_not_made = a.kind != AnswerKind::ok && a.kind != AnswerKind::created_unnamed &&
                         a.kind != AnswerKind::ambiguous && a.kind != AnswerKind::unreachable;
    auto client_error = [](int c) { return c >= 400 && c < 500; };
    require(!says_not_made || client_error(a.http_status) || (a.body_code && client_error(*a.body_code)),
            "a submit counts as not made only when a refusal proves it");
  }
  if (a.kind == AnswerKind::content_rejected) {
    require(a.fail_code == "CONTENT_VIOLATION", "a content refusal carries its fail code");
  }
}

void check_status(const Exchange& x) {
  std::string why;
  StatusProblem problem = StatusProblem::none;
  auto s = parse_task_status(x.response.body, &why, x.expected_task_id, &problem, k_secret);
  if (!s) {
    require(!why.empty() && problem != StatusProblem::none, "an unusable status says why");
    return;
  }
  require(x.expected_task_id.empty() || s->task_id == x.expected_task_id, "a status is about the task asked");
  require(!s->raw_state.empty(), "a status has a state");
  require(s->raw_state.size() <= 67 && s->fail_code.size() <= 67 && s->fail_msg.size() <= 503,
          "a state, a failCode and a failMsg are bounded");
  require(printable(s->raw_state) && printable(s->fail_code) && printable(s->fail_msg),
          "a state, a failCode and a failMsg are printable");
  require((s->raw_state + s->fail_code + s->fail_msg).find(k_secret) == std::string::npos,
          "a status's texts never hold the key");
  if (s->state == TaskState::success) {
    require(!s->result_urls.empty(), "a success has a result URL");
    for (const std::string& url : s->result_urls) {
      require(is_http(url), "every result URL is http(s)");
    }
  }
}

void check_parsers(const Exchange& x) {
  std::string id = parse_task_id(x.response.body);
  require(id.empty() || (id.size() <= 256 && printable(id) && id.find(' ') == std::string::npos),
          "a kept taskId is short, printable and has no space");
  (void)parse_balance(x.response.body);
  for (const auto& [name, value] : x.response.headers) {
    auto ms = parse_retry_after(value, k_now_ms);
    require(!ms || *ms >= 0, "Retry-After is never negative");
  }
  std::string e = printable_excerpt(x.response.body, 16);
  require(e.size() <= 19 && printable(e), "an excerpt is short and printable");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Exchange x = read_exchange({reinterpret_cast<const char*>(data), size});
  check_classify(x);
  check_status(x);
  check_parsers(x);
  return 0;
}
