#include "api/answer.h"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeParser.h>
#include <Poco/JSON/Parser.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <regex>

namespace reelq {

using Poco::JSON::Object;

std::string_view to_string(AnswerKind kind) {
  switch (kind) {
    case AnswerKind::ok:
      return "ok";
    case AnswerKind::rate_limited:
      return "rate_limited";
    case AnswerKind::credits_exhausted:
      return "credits_exhausted";
    case AnswerKind::content_rejected:
      return "content_rejected";
    case AnswerKind::invalid_request:
      return "invalid_request";
    case AnswerKind::unauthorized:
      return "unauthorized";
    case AnswerKind::not_found:
      return "not_found";
    case AnswerKind::transient:
      return "transient";
    case AnswerKind::ambiguous:
      return "ambiguous";
    case AnswerKind::created_unnamed:
      return "created_unnamed";
    case AnswerKind::unusable:
      return "unusable";
    case AnswerKind::unreachable:
      return "unreachable";
  }
  return "?";
}

std::string_view to_string(Limit limit) {
  switch (limit) {
    case Limit::unknown:
      return "unknown";
    case Limit::rate:
      return "rate";
    case Limit::concurrency:
      return "concurrency";
  }
  return "?";
}

Limit limit_named(std::string_view message) {
  std::string m(message);
  std::transform(m.begin(), m.end(), m.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  auto says = [&](std::initializer_list<std::string_view> words) {
    return std::any_of(words.begin(), words.end(), [&](std::string_view w) { return m.find(w) != std::string::npos; });
  };
  // The task cap first: its wording may also say "limit exceeded", as the rate's does.
  if (says({"concurren", "running task", "task limit"})) {
    return Limit::concurrency;
  }
  if (says({"rate limit", "rate-limit", "ratelimit", "too many requests", "requests per", "per minute"})) {
    return Limit::rate;
  }
  return Limit::unknown;
}

namespace {

Object::Ptr parse_object(const std::string& body) {
  try {
    Poco::JSON::Parser parser;
    auto v = parser.parse(body);
    if (v.type() == typeid(Object::Ptr)) {
      return v.extract<Object::Ptr>();
    }
  } catch (const Poco::Exception&) {
  } catch (const std::exception&) {
  }
  return nullptr;
}

std::optional<std::int64_t> as_int(const Object::Ptr& o, const std::string& key) {
  if (!o || !o->has(key) || o->isNull(key)) {
    return std::nullopt;
  }
  try {
    return o->get(key).convert<std::int64_t>();
  } catch (const Poco::Exception&) {
    return std::nullopt;
  }
}

std::string as_string(const Object::Ptr& o, const std::string& key) {
  if (!o || !o->has(key) || o->isNull(key)) {
    return "";
  }
  try {
    return o->get(key).convert<std::string>();
  } catch (const Poco::Exception&) {
    return "";
  }
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// A short, single-line excerpt of a body that is not an envelope (an HTML error page, say).
std::string excerpt(const std::string& body) {
  std::string out;
  bool in_tag = false;
  for (char c : body) {
    if (c == '<') {
      in_tag = true;
    } else if (c == '>') {
      in_tag = false;
      out += ' ';
    } else if (!in_tag) {
      out += std::isspace(static_cast<unsigned char>(c)) ? ' ' : c;
    }
  }
  out.erase(std::unique(out.begin(), out.end(), [](char a, char b) { return a == ' ' && b == ' '; }), out.end());
  out.erase(0, out.find_first_not_of(' '));
  out.erase(out.find_last_not_of(' ') + 1);
  if (out.size() > 80) {
    out = out.substr(0, 77) + "...";
  }
  return out;
}

bool either(int http, std::optional<int> body, auto pred) {
  return pred(http) || (body && pred(*body));
}

// 400-class answers are told apart only by their message (the API page's two 400 samples).
void classify_client_error(Endpoint endpoint, int code, Answer& a) {
  std::string m = lower(a.message);
  if (code == 404 && endpoint == Endpoint::status) {
    a.kind = AnswerKind::not_found;
  } else if (m.find("insufficient") != std::string::npos || m.find("credit") != std::string::npos ||
             m.find("balance") != std::string::npos) {
    a.kind = AnswerKind::credits_exhausted;
  } else if (m.find("violat") != std::string::npos || m.find("policy") != std::string::npos) {
    a.kind = AnswerKind::content_rejected;
    a.fail_code = "CONTENT_VIOLATION";
  } else {
    a.kind = AnswerKind::invalid_request;
  }
}

}  // namespace

std::optional<std::int64_t> parse_retry_after(const std::string& value, std::int64_t now_ms) {
  std::string v = value;
  v.erase(0, v.find_first_not_of(' '));
  v.erase(v.find_last_not_of(' ') + 1);
  if (v.empty()) {
    return std::nullopt;
  }
  if (std::all_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c); })) {
    if (v.size() > 9) {
      return std::nullopt;
    }
    return std::stoll(v) * 1000;
  }
  // Poco's parser is lenient (it reads "soon" as a date), so insist on the IMF-fixdate form.
  static const std::regex k_http_date(R"(^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$)");
  if (!std::regex_match(v, k_http_date)) {
    return std::nullopt;
  }
  try {
    int tz = 0;
    Poco::DateTime when = Poco::DateTimeParser::parse(Poco::DateTimeFormat::HTTP_FORMAT, v, tz);
    std::int64_t at_ms = when.timestamp().epochMicroseconds() / 1000 - tz * 1000LL;
    return std::max<std::int64_t>(0, at_ms - now_ms);
  } catch (const Poco::Exception&) {
    return std::nullopt;
  }
}

struct Envelope::Parsed {
  Object::Ptr object;  // null when the body is not a JSON object
};

Envelope::Envelope(const std::string& body) : m_parsed(std::make_unique<Parsed>(Parsed{parse_object(body)})) {}
Envelope::~Envelope() = default;

namespace {

// What the exchange means; classify() then makes its message safe to show. Excerpts of a page are
// cut here, so the key is redacted from the body first: a cut must not leave a piece of it.
Answer classify_exchange(Endpoint endpoint, const HttpResponse& r, const Envelope& body, std::int64_t now_ms,
                         const std::string& secret) {
  Answer a;
  // `refused` is the downloader's (api/resolver.h): the API is asked without a host check, so it
  // never comes here; if it did, it would be what it is, a request that never left.
  if (r.wire == WireOutcome::not_sent || r.wire == WireOutcome::refused) {
    a.kind = AnswerKind::unreachable;
    a.sent = false;
    a.message = r.error;
    return a;
  }
  if (r.wire == WireOutcome::no_answer) {
    a.kind = endpoint == Endpoint::generate ? AnswerKind::ambiguous : AnswerKind::transient;
    a.message = fmt::format("no answer: {}", r.error);
    return a;
  }
  a.http_status = r.status;
  Object::Ptr env = body.parsed().object;
  if (env && env->has("code")) {
    if (auto code = as_int(env, "code")) {
      a.body_code = static_cast<int>(*code);
    }
    a.message = as_string(env, "message");
    auto data = env->has("data") && !env->isNull("data") && env->get("data").type() == typeid(Object::Ptr)
                    ? env->getObject("data")
                    : nullptr;
    if (std::string detail = as_string(data, "error"); !detail.empty()) {
      a.message += ": " + detail;
    }
    a.api_message = a.message;
  } else {
    env = nullptr;
    a.message = fmt::format("HTTP {} without an API envelope: {}", r.status,
                            r.error.empty() ? excerpt(redact(r.body, secret)) : r.error);
  }
  const int h = r.status;
  const auto b = a.body_code;
  if (either(h, b, [](int c) { return c == 429; })) {
    a.kind = AnswerKind::rate_limited;
    a.retry_after_ms = parse_retry_after(r.header("Retry-After"), now_ms);
    a.limit = limit_named(a.message);
  } else if (either(h, b, [](int c) { return c == 401 || c == 403; })) {
    a.kind = AnswerKind::unauthorized;
  } else if (either(h, b, [](int c) { return c == 402; })) {
    a.kind = AnswerKind::credits_exhausted;
  } else if (either(h, b, [](int c) { return c >= 500; })) {
    // To a submit, a 5xx may come after the API acted: see the last check below.
    a.kind = AnswerKind::transient;
    a.retry_after_ms = parse_retry_after(r.header("Retry-After"), now_ms);
  } else if (either(h, b, [](int c) { return c >= 400; })) {
    classify_client_error(endpoint, h >= 400 ? h : *b, a);
  } else if (h >= 200 && h < 300 && env && b && *b >= 200 && *b < 300) {
    a.kind = AnswerKind::ok;
    if (endpoint == Endpoint::generate && parse_task_id(body).empty()) {
      // The API says it made the task: resubmitting would pay for a second one.
      a.kind = AnswerKind::created_unnamed;
      a.message = "success without a usable taskId (none, or not a short printable id)";
    }
  } else if (h >= 200 && h < 300 && endpoint == Endpoint::generate) {
    a.kind = AnswerKind::ambiguous;  // something accepted the submit, but we cannot read what
  } else {
    a.kind = AnswerKind::transient;
    if (env && !b) {
      a.message = fmt::format("HTTP {} with an unreadable code: {}", h, excerpt(redact(r.body, secret)));
    }
  }
  // An answer to a submit that says no task was made (a refusal, an error to send again) counts
  // as one only when it proves it: a proxy's 524 or 500 may come after the API made the task.
  bool says_not_made = a.kind != AnswerKind::ok && a.kind != AnswerKind::created_unnamed;
  if (endpoint == Endpoint::generate && says_not_made && !proves_not_created(h, env != nullptr, b)) {
    a.kind = AnswerKind::ambiguous;
    a.fail_code.clear();
  }
  return a;
}

}  // namespace

bool proves_not_created(int http_status, bool has_envelope, std::optional<int> body_code) {
  auto client_error = [](int c) { return c >= 400 && c < 500; };
  if (body_code && client_error(*body_code)) {
    return true;  // the API's own refusal, whatever status a gateway in front put on it
  }
  if (client_error(http_status) && has_envelope) {
    return true;
  }
  // A gateway's own access and rate limits turn a request away before passing it on; its other
  // pages (a 400 or 413 of its own) are rare and may not, so they count as ambiguous.
  return http_status == 401 || http_status == 403 || http_status == 429;
}

Answer classify(Endpoint endpoint, const HttpResponse& r, std::int64_t now_ms, const std::string& secret) {
  return classify(endpoint, r, Envelope(r.body), now_ms, secret);
}

Answer classify(Endpoint endpoint, const HttpResponse& r, const Envelope& body, std::int64_t now_ms,
                const std::string& secret) {
  Answer a = classify_exchange(endpoint, r, body, now_ms, secret);
  // The message quotes the API (or a gateway's page), and it is logged, printed and stored: the key
  // echoed back must not appear in it, an escape sequence in it must not drive the user's
  // terminal, nor 10 KB of it fill a log line.
  a.message = answer_text(a.message, secret, k_max_answer_message);
  a.api_message = answer_text(a.api_message, secret, k_max_api_message);
  return a;
}

namespace {

// A taskId is stored, logged and sent back in a query: printable ASCII without spaces, and short.
// One with NUL, control bytes or kilobytes of text is not an id reelq can keep.
bool usable_task_id(const std::string& id) {
  constexpr size_t k_max_task_id = 256;
  return !id.empty() && id.size() <= k_max_task_id &&
         std::all_of(id.begin(), id.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f; });
}

}  // namespace

std::string parse_task_id(const std::string& body) {
  return parse_task_id(Envelope(body));
}

std::string parse_task_id(const Envelope& body) {
  const Object::Ptr& env = body.parsed().object;
  if (!env || !env->has("data") || env->get("data").type() != typeid(Object::Ptr)) {
    return "";
  }
  std::string id = as_string(env->getObject("data"), "taskId");
  return usable_task_id(id) ? id : "";
}

std::optional<double> parse_balance(const std::string& body) {
  return parse_balance(Envelope(body));
}

std::optional<double> parse_balance(const Envelope& body) {
  const Object::Ptr& env = body.parsed().object;
  if (!env || !env->has("data") || env->isNull("data")) {
    return std::nullopt;
  }
  try {
    return env->get("data").convert<double>();
  } catch (const Poco::Exception&) {
    return std::nullopt;
  }
}

namespace {

// resultJson is documented as a JSON *string* holding {"resultUrls": [...]}; accept an object too.
// Empty, with `why` set, when there is no URL to be had.
std::vector<std::string> result_urls(const Object::Ptr& data, std::string& why) {
  std::vector<std::string> urls;
  if (!data->has("resultJson") || data->isNull("resultJson")) {
    why = "success without a resultJson";
    return urls;
  }
  Object::Ptr result;
  auto v = data->get("resultJson");
  if (v.type() == typeid(Object::Ptr)) {
    result = v.extract<Object::Ptr>();
  } else if (v.isString()) {
    result = parse_object(v.extract<std::string>());
  }
  if (!result) {
    why = "success with a resultJson that is not a JSON object";
    return urls;
  }
  auto arr = result->has("resultUrls") ? result->getArray("resultUrls") : nullptr;
  for (size_t i = 0; arr && i < arr->size(); ++i) {
    if (!arr->isNull(i)) {
      urls.push_back(arr->get(i).convert<std::string>());
    }
  }
  if (urls.empty()) {
    why = "success without resultUrls";
  }
  return urls;
}

}  // namespace

namespace {

bool is_http_url(const std::string& url) {
  std::string l = lower(url.substr(0, 8));
  return l.starts_with("http://") || l.starts_with("https://");
}

}  // namespace

std::optional<TaskStatus> parse_task_status(const std::string& body, std::string* why,
                                            const std::string& expected_task_id, StatusProblem* problem,
                                            const std::string& secret) {
  return parse_task_status(Envelope(body), why, expected_task_id, problem, secret);
}

std::optional<TaskStatus> parse_task_status(const Envelope& body, std::string* why, const std::string& expected_task_id,
                                            StatusProblem* problem, const std::string& secret) {
  auto fail = [&](StatusProblem kind, const std::string& reason) -> std::optional<TaskStatus> {
    if (why) {
      *why = answer_text(reason, secret, k_max_answer_message);
    }
    if (problem) {
      *problem = kind;
    }
    return std::nullopt;
  };
  const Object::Ptr& env = body.parsed().object;
  if (!env) {
    return fail(StatusProblem::garbled, "not a JSON object");
  }
  if (!env->has("data") || env->get("data").type() != typeid(Object::Ptr)) {
    return fail(StatusProblem::garbled, "no data object");
  }
  Object::Ptr data = env->getObject("data");
  TaskStatus s;
  s.task_id = as_string(data, "taskId");
  // An answer about another task must never settle this one (its result would be another
  // job's video); one that names no task cannot be trusted to be about this one either.
  if (!expected_task_id.empty() && s.task_id != expected_task_id) {
    return fail(StatusProblem::foreign_task,
                s.task_id.empty()
                    ? "the answer names no taskId"
                    : fmt::format("the answer is about task '{}'", answer_text(s.task_id, secret, k_max_answer_code)));
  }
  s.raw_state = as_string(data, "state");
  if (s.raw_state.empty()) {
    return fail(StatusProblem::garbled, "no state");
  }
  std::string st = lower(s.raw_state);
  s.state = st == "pending"      ? TaskState::pending
            : st == "processing" ? TaskState::processing
            : st == "success"    ? TaskState::success
            : st == "failed"     ? TaskState::failed
                                 : TaskState::unknown;
  // Kept, logged, stored and reported as they are from here on: made safe once, here. An API that
  // echoes the request puts the key in them; a state or code is a short word, so more is cut.
  s.raw_state = answer_text(s.raw_state, secret, k_max_answer_code);
  s.fail_code = answer_text(as_string(data, "failCode"), secret, k_max_answer_code);
  s.fail_msg = answer_text(as_string(data, "failMsg"), secret, k_max_answer_message);
  s.create_time = as_int(data, "createTime");
  s.complete_time = as_int(data, "completeTime");
  s.cost_time = as_int(data, "costTime");
  if (s.state != TaskState::success) {
    return s;
  }
  std::string no_urls;
  try {
    s.result_urls = result_urls(data, no_urls);
  } catch (const Poco::Exception& e) {
    return fail(StatusProblem::no_result, fmt::format("success with an unreadable resultJson: {}", e.message()));
  }
  if (s.result_urls.empty()) {
    return fail(StatusProblem::no_result, no_urls);
  }
  // Only http(s) results are fetched: file:, ftp: or data: URLs are refused here, before a
  // download could be tried.
  for (const std::string& url : s.result_urls) {
    if (!is_http_url(url)) {
      return fail(StatusProblem::no_result, fmt::format("success with a result URL that is not http(s): '{}'",
                                                        answer_text(url, secret, k_max_answer_code)));
    }
  }
  return s;
}

}  // namespace reelq
