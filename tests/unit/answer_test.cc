// Classification of every kind of answer, with the API page's samples byte for byte.
#include "api/answer.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

using namespace reelq;

namespace {

constexpr std::int64_t k_now = 1'767'225'600'000;

HttpResponse answered(int status, std::string body, Headers headers = {}) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

HttpResponse wire(WireOutcome w) {
  HttpResponse r;
  r.wire = w;
  r.error = "Connection reset by peer";
  return r;
}

// The vendor page's samples, as published.
const char* k_page_submit_ok = R"({
  "code": 200,
  "message": "success",
  "data": {
    "taskId": "task_12345678"
  }
})";
const char* k_page_insufficient = R"({
  "code": 400,
  "message": "Insufficient credits",
  "data": null
})";
const char* k_page_violation = R"({
  "code": 400,
  "message": "Content violates provider policy, please adjust the prompt",
  "data": null
})";
const char* k_page_status_success = R"({
  "code": 200,
  "message": "success",
  "data": {
    "taskId": "task_12345678",
    "state": "success",
    "resultJson": "{\"resultUrls\":[\"https://r2.apixo.ai/video.mp4\"]}",
    "createTime": 1767965610929,
    "completeTime": 1767965730929,
    "costTime": 120000
  }
})";
const char* k_page_status_failed = R"({
  "code": 200,
  "message": "success",
  "data": {
    "taskId": "task_12345678",
    "state": "failed",
    "failCode": "CONTENT_VIOLATION",
    "failMsg": "Content does not meet safety guidelines"
  }
})";

}  // namespace

TEST_CASE("the page's submit success is ok with its taskId") {
  Answer a = classify(Endpoint::generate, answered(200, k_page_submit_ok), k_now);
  CHECK(a.kind == AnswerKind::ok);
  CHECK(a.body_code == 200);
  CHECK(parse_task_id(k_page_submit_ok) == "task_12345678");
}

TEST_CASE("the page's 400 samples: insufficient credits and content violation") {
  SUBCASE("as HTTP 400") {
    CHECK(classify(Endpoint::generate, answered(400, k_page_insufficient), k_now).kind ==
          AnswerKind::credits_exhausted);
    Answer v = classify(Endpoint::generate, answered(400, k_page_violation), k_now);
    CHECK(v.kind == AnswerKind::content_rejected);
    CHECK(v.fail_code == "CONTENT_VIOLATION");
    CHECK(v.message == "Content violates provider policy, please adjust the prompt");
  }
  SUBCASE("as HTTP 200 with the error code only in the body") {
    CHECK(classify(Endpoint::generate, answered(200, k_page_insufficient), k_now).kind ==
          AnswerKind::credits_exhausted);
    CHECK(classify(Endpoint::generate, answered(200, k_page_violation), k_now).kind == AnswerKind::content_rejected);
  }
}

TEST_CASE("402 is credits exhausted, whichever of the two codes says it") {
  CHECK(classify(Endpoint::generate, answered(402, R"({"code":402,"message":"Payment required","data":null})"), k_now)
            .kind == AnswerKind::credits_exhausted);
  CHECK(classify(Endpoint::generate, answered(200, R"({"code":402,"message":"x","data":null})"), k_now).kind ==
        AnswerKind::credits_exhausted);
}

TEST_CASE("the page's status samples parse") {
  Answer a = classify(Endpoint::status, answered(200, k_page_status_success), k_now);
  CHECK(a.kind == AnswerKind::ok);
  std::string why;
  auto s = parse_task_status(k_page_status_success, &why);
  REQUIRE(s.has_value());
  CHECK(s->task_id == "task_12345678");
  CHECK(s->state == TaskState::success);
  CHECK(s->result_urls == std::vector<std::string>{"https://r2.apixo.ai/video.mp4"});
  CHECK(s->create_time == 1767965610929);
  CHECK(s->complete_time == 1767965730929);
  CHECK(s->cost_time == 120000);

  auto f = parse_task_status(k_page_status_failed, &why);
  REQUIRE(f.has_value());
  CHECK(f->state == TaskState::failed);
  CHECK(f->fail_code == "CONTENT_VIOLATION");
  CHECK(f->fail_msg == "Content does not meet safety guidelines");
  CHECK_FALSE(f->cost_time.has_value());
  CHECK_FALSE(f->create_time.has_value());
}

TEST_CASE("status parsing tolerates what the notes say real answers do") {
  std::string why;
  SUBCASE("resultJson as an object, 32-hex taskId, extra fields, an open failCode") {
    auto s = parse_task_status(
        R"({"code":200,"message":"success","data":{"taskId":"0123456789abcdef0123456789abcdef","state":"success",)"
        R"("resultJson":{"resultUrls":["https://cdn.apixo.ai/a.mp4","https://cdn.apixo.ai/b.mp4"]},)"
        R"("model":"sora-2-pro","param":"{}","updateTime":1}})",
        &why);
    REQUIRE(s.has_value());
    CHECK(s->task_id == "0123456789abcdef0123456789abcdef");
    CHECK(s->result_urls.size() == 2);
  }
  SUBCASE("an unknown state is kept, and counts as still running") {
    auto s = parse_task_status(R"({"code":200,"data":{"taskId":"t","state":"queued_upstream"}})", &why);
    REQUIRE(s.has_value());
    CHECK(s->state == TaskState::unknown);
    CHECK(s->raw_state == "queued_upstream");
  }
  SUBCASE("pending and processing, with no times") {
    CHECK(parse_task_status(R"({"code":200,"data":{"taskId":"t","state":"pending"}})", &why)->state ==
          TaskState::pending);
    CHECK(parse_task_status(R"({"code":200,"data":{"taskId":"t","state":"processing"}})", &why)->state ==
          TaskState::processing);
  }
  SUBCASE("a failCode from older pages is stored as given") {
    auto s = parse_task_status(
        R"({"code":200,"data":{"taskId":"t","state":"failed","failCode":"IMAGE_DOWNLOAD_FAILED"}})", &why);
    CHECK(s->fail_code == "IMAGE_DOWNLOAD_FAILED");
    CHECK(s->fail_msg == "");
  }
  SUBCASE("success without URLs is unusable, not a success") {
    StatusProblem problem = StatusProblem::none;
    CHECK_FALSE(parse_task_status(R"({"code":200,"data":{"taskId":"t","state":"success","resultJson":"{}"}})", &why,
                                  "t", &problem));
    CHECK(why == "success without resultUrls");
    CHECK(problem == StatusProblem::no_result);
    CHECK_FALSE(parse_task_status(
        R"({"code":200,"data":{"taskId":"t","state":"success","resultJson":"resultUrls: not JSON {"}})", &why));
    CHECK(why == "success with a resultJson that is not a JSON object");
    CHECK_FALSE(parse_task_status(R"({"code":200,"data":{"taskId":"t","state":"success"}})", &why));
    CHECK(why == "success without a resultJson");
  }
  SUBCASE("a result URL that is not http(s) is never taken") {
    StatusProblem problem = StatusProblem::none;
    CHECK_FALSE(parse_task_status(R"({"code":200,"data":{"taskId":"t","state":"success",)"
                                  R"("resultJson":{"resultUrls":["https://cdn.test/a.mp4","file:///etc/passwd"]}}})",
                                  &why, "t", &problem));
    CHECK(why == "success with a result URL that is not http(s): 'file:///etc/passwd'");
    CHECK(problem == StatusProblem::no_result);
  }
  SUBCASE("an answer about another task, or about none, is not about the task asked") {
    StatusProblem problem = StatusProblem::none;
    std::string other = R"({"code":200,"data":{"taskId":"task_2","state":"success",)"
                        R"("resultJson":{"resultUrls":["https://cdn.test/2.mp4"]}}})";
    CHECK_FALSE(parse_task_status(other, &why, "task_1", &problem));
    CHECK(why == "the answer is about task 'task_2'");
    CHECK(problem == StatusProblem::foreign_task);
    CHECK(parse_task_status(other, &why, "task_2").has_value());
    CHECK_FALSE(parse_task_status(R"({"code":200,"data":{"state":"pending"}})", &why, "task_1", &problem));
    CHECK(why == "the answer names no taskId");
  }
  SUBCASE("a state that flips is reported as given; only the first success counts (the runner's rule)") {
    CHECK(parse_task_status(R"({"code":200,"data":{"taskId":"t","state":"processing"}})", &why, "t")->state ==
          TaskState::processing);
  }
  SUBCASE("garbage is unusable") {
    CHECK_FALSE(parse_task_status("<html>", &why));
    CHECK(why == "not a JSON object");
  }
}

TEST_CASE("429 is rate limited, with Retry-After in seconds or as a date") {
  Answer a = classify(
      Endpoint::status,
      answered(429, R"({"code":429,"message":"Rate limit exceeded","data":null})", {{"Retry-After", "7"}}), k_now);
  CHECK(a.kind == AnswerKind::rate_limited);
  CHECK(a.retry_after_ms == 7000);
  Answer b = classify(Endpoint::generate, answered(200, R"({"code":429,"message":"slow down","data":null})"), k_now);
  CHECK(b.kind == AnswerKind::rate_limited);
  CHECK_FALSE(b.retry_after_ms.has_value());
  // 2026-01-01T00:00:30Z is 30 s after k_now.
  CHECK(parse_retry_after("Thu, 01 Jan 2026 00:00:30 GMT", k_now) == 30000);
  CHECK_FALSE(parse_retry_after("soon", k_now).has_value());
  CHECK(classify(Endpoint::generate, answered(429, "<html>Too Many Requests</html>"), k_now).kind ==
        AnswerKind::rate_limited);
}

TEST_CASE("a 429 says which cap it is about, and keeps the API's own words for the warning") {
  struct Row {
    int status;
    const char* body;
    Limit limit;
    const char* api_message;
  };
  for (Row r : std::initializer_list<Row>{
           {429, R"({"code":429,"message":"Rate limit exceeded","data":null})", Limit::rate, "Rate limit exceeded"},
           {429, R"({"code":429,"message":"Concurrent task limit exceeded","data":null})", Limit::concurrency,
            "Concurrent task limit exceeded"},
           {200, R"({"code":429,"message":"Concurrent task limit exceeded","data":null})", Limit::concurrency,
            "Concurrent task limit exceeded"},
           {429, R"({"code":429,"message":"slow down","data":null})", Limit::unknown, "slow down"},
           {429, "<html>Too Many Requests</html>", Limit::rate, ""},  // a gateway's page: no envelope
           {429, "<html>nope</html>", Limit::unknown, ""},
       }) {
    CAPTURE(r.body);
    Answer a = classify(Endpoint::generate, answered(r.status, r.body), k_now);
    CHECK(a.kind == AnswerKind::rate_limited);
    CHECK(a.limit == r.limit);
    CHECK(a.api_message == r.api_message);
  }
  // Not a 429: no cap named, whatever the words.
  CHECK(classify(Endpoint::status, answered(500, R"({"code":500,"message":"Rate limit exceeded"})"), k_now).limit ==
        Limit::unknown);
  // The API's words are made safe as every other text of an answer: the key redacted, printable, cut.
  Answer echo = classify(
      Endpoint::generate,
      answered(429, R"({"code":429,"message":"Concurrent task limit exceeded for sk-secret \u202e)" +
                        std::string(300, 'x') + R"("})"),
      k_now, "sk-secret");
  CHECK(echo.limit == Limit::concurrency);
  CHECK(echo.api_message.starts_with("Concurrent task limit exceeded for [redacted] ?xxx"));
  // 200 bytes of the message read (the override, 3 of them, shown as one ?), then "...".
  CHECK(echo.api_message.size() == k_max_api_message - 2 + 3);
  CHECK(echo.api_message.ends_with("..."));
}

TEST_CASE("401 and 403 are the key refused") {
  CHECK(classify(Endpoint::generate, answered(401, R"({"code":401,"message":"Invalid API key","data":null})"), k_now)
            .kind == AnswerKind::unauthorized);
  CHECK(classify(Endpoint::status, answered(403, "Forbidden"), k_now).kind == AnswerKind::unauthorized);
}

TEST_CASE("other 400s are invalid requests, with the detail from data.error") {
  Answer a = classify(
      Endpoint::generate,
      answered(400,
               R"({"code":400,"message":"Invalid request","data":{"error":"Missing required field: input.prompt"}})"),
      k_now);
  CHECK(a.kind == AnswerKind::invalid_request);
  CHECK(a.message == "Invalid request: Missing required field: input.prompt");
}

TEST_CASE("404 on status is not found; on submit it is an invalid request") {
  const char* body = R"({"code":404,"message":"Task not found","data":null})";
  CHECK(classify(Endpoint::status, answered(404, body), k_now).kind == AnswerKind::not_found);
  CHECK(classify(Endpoint::generate, answered(404, body), k_now).kind == AnswerKind::invalid_request);
}

// Found by fuzzing (tests/fuzz/regressions/answer): the API's message went to the terminal,
// the log and the database as it came, escape sequences and all.
TEST_CASE("an answer's message is made printable and cut to 500 bytes") {
  Answer a = classify(Endpoint::generate,
                      answered(400, R"({"code":400,"message":"bad\u001b]0;owned\u0007 prompt","data":null})"), k_now);
  CHECK(a.kind == AnswerKind::invalid_request);
  CHECK(a.message == "bad?]0;owned? prompt");
  Answer page = classify(Endpoint::status, answered(503, "<p>" + std::string(10000, 'x') + "\x1b[2J</p>"), k_now);
  CHECK(page.message == "HTTP 503 without an API envelope: " + std::string(77, 'x') + "...");
  Answer escape = classify(Endpoint::status, answered(503, "<p>busy\x1b[2J</p>"), k_now);
  CHECK(escape.message == "HTTP 503 without an API envelope: busy?[2J");
  Answer envelope =
      classify(Endpoint::status, answered(503, R"({"code":503,"message":")" + std::string(10000, 'y') + "\"}"), k_now);
  CHECK(envelope.message == std::string(500, 'y') + "...");
}

TEST_CASE("server errors, HTML pages and broken bodies are transient") {
  Answer a = classify(Endpoint::status,
                      answered(502, "<html><body><h1>502 Bad Gateway</h1>\n<p>nginx</p></body></html>"), k_now);
  CHECK(a.kind == AnswerKind::transient);
  CHECK(a.message == "HTTP 502 without an API envelope: 502 Bad Gateway nginx");
  CHECK(classify(Endpoint::status, answered(500, R"({"code":500,"message":"internal","data":null})"), k_now).kind ==
        AnswerKind::transient);
  CHECK(classify(Endpoint::status, answered(200, R"({"code":200,"message":"succ)"), k_now).kind ==
        AnswerKind::transient);
  CHECK(classify(Endpoint::balance, answered(200, "OK"), k_now).kind == AnswerKind::transient);
  CHECK(classify(Endpoint::status, answered(200, R"({"code":503,"message":"busy","data":null})"), k_now).kind ==
        AnswerKind::transient);
}

TEST_CASE("a submit whose fate is unknown is ambiguous; one that never left is safe to resend") {
  for (Endpoint e : {Endpoint::generate, Endpoint::status, Endpoint::balance}) {
    Answer not_sent = classify(e, wire(WireOutcome::not_sent), k_now);
    CHECK(not_sent.kind == AnswerKind::unreachable);
    CHECK_FALSE(not_sent.sent);
  }
  CHECK(classify(Endpoint::generate, wire(WireOutcome::no_answer), k_now).kind == AnswerKind::ambiguous);
  CHECK(classify(Endpoint::status, wire(WireOutcome::no_answer), k_now).kind == AnswerKind::transient);
  CHECK(classify(Endpoint::generate, answered(504, "<html>Gateway Timeout</html>"), k_now).kind ==
        AnswerKind::ambiguous);
  // Issue 17: a 503 from the API itself does not prove it made nothing either (it was transient).
  CHECK(
      classify(Endpoint::generate, answered(503, R"({"code":503,"message":"unavailable","data":null})"), k_now).kind ==
      AnswerKind::ambiguous);
  CHECK(classify(Endpoint::generate, answered(200, "<html>ok</html>"), k_now).kind == AnswerKind::ambiguous);
}

// Issue 17: a proxy that forwarded the submit and then timed out answered 524; reelq resubmitted
// silently and paid twice. Only a refusal proves no task was made.
TEST_CASE("to a submit, every answer that does not prove no task was made is ambiguous") {
  for (int status : {500, 502, 503, 504, 520, 521, 522, 523, 524, 525, 526, 530, 599}) {
    CAPTURE(status);
    Answer page = classify(Endpoint::generate, answered(status, "<html><title>error code: 524</title></html>"), k_now);
    CHECK(page.kind == AnswerKind::ambiguous);
    CHECK(classify(Endpoint::generate,
                   answered(status, fmt::format(R"({{"code":{},"message":"internal","data":null}})", status)), k_now)
              .kind == AnswerKind::ambiguous);
    // Asking a task's status again is always safe.
    CHECK(classify(Endpoint::status, answered(status, "<html>error</html>"), k_now).kind == AnswerKind::transient);
  }
  CHECK(classify(Endpoint::generate, answered(524, "<html><title>error code: 524</title></html>"), k_now).message ==
        "HTTP 524 without an API envelope: error code: 524");
  CHECK(classify(Endpoint::generate, answered(200, R"({"code":500,"message":"internal","data":null})"), k_now).kind ==
        AnswerKind::ambiguous);
  CHECK(classify(Endpoint::generate, answered(302, "<html>moved</html>"), k_now).kind == AnswerKind::ambiguous);
  CHECK(classify(Endpoint::generate, answered(200, R"({"code":302,"message":"?","data":null})"), k_now).kind ==
        AnswerKind::ambiguous);
  // A 4xx page that is not the API's, other than a gateway's access or rate limit, proves nothing.
  Answer page400 = classify(Endpoint::generate, answered(400, "<html>Bad Request</html>"), k_now);
  CHECK(page400.kind == AnswerKind::ambiguous);
  CHECK(page400.fail_code.empty());
  CHECK(classify(Endpoint::generate, answered(413, "<html>Request Entity Too Large</html>"), k_now).kind ==
        AnswerKind::ambiguous);
  // The refusals stay refusals.
  CHECK(classify(Endpoint::generate, answered(429, "<html>Too Many Requests</html>"), k_now).kind ==
        AnswerKind::rate_limited);
  CHECK(classify(Endpoint::generate, answered(403, "<html>Forbidden</html>"), k_now).kind == AnswerKind::unauthorized);
  CHECK(classify(Endpoint::generate, answered(400, k_page_insufficient), k_now).kind == AnswerKind::credits_exhausted);
  CHECK(classify(Endpoint::generate, answered(502, R"({"code":429,"message":"slow down","data":null})"), k_now).kind ==
        AnswerKind::rate_limited);
  CHECK(classify(Endpoint::generate, answered(200, R"({"code":400,"message":"Invalid request","data":null})"), k_now)
            .kind == AnswerKind::invalid_request);
}

TEST_CASE("only a refusal proves a submit made no task") {
  CHECK(proves_not_created(400, true, 400));
  CHECK(proves_not_created(404, true, 404));
  CHECK(proves_not_created(422, true, std::nullopt));  // the API's envelope, its code unreadable
  CHECK(proves_not_created(200, true, 402));
  CHECK(proves_not_created(502, true, 429));  // the API's own 429, relabelled by a gateway
  CHECK(proves_not_created(429, false, std::nullopt));
  CHECK(proves_not_created(401, false, std::nullopt));
  CHECK(proves_not_created(403, false, std::nullopt));
  CHECK_FALSE(proves_not_created(400, false, std::nullopt));
  CHECK_FALSE(proves_not_created(408, false, std::nullopt));
  CHECK_FALSE(proves_not_created(500, true, 500));
  CHECK_FALSE(proves_not_created(503, true, 503));
  CHECK_FALSE(proves_not_created(524, false, std::nullopt));
  CHECK_FALSE(proves_not_created(200, true, 503));
  CHECK_FALSE(proves_not_created(200, false, std::nullopt));
  CHECK_FALSE(proves_not_created(301, false, std::nullopt));
}

TEST_CASE("balance parses the page's number") {
  CHECK(parse_balance(R"({"code":200,"message":"success","data":74.8700})") == doctest::Approx(74.87));
  CHECK_FALSE(parse_balance(R"({"code":200,"message":"success","data":null})").has_value());
}

// Issue 17: such a submit was "ambiguous" and spent every attempt, each a paid task. A success
// proves the task was made: it is created_unnamed, which the runner holds and never resubmits.
TEST_CASE("a success whose taskId cannot be kept (none, NUL, control bytes, 10 KB) made an unnamed task") {
  std::string nul = std::string(R"({"code":200,"message":"success","data":{"taskId":"task_\u0000x"}})");
  CHECK(parse_task_id(nul) == "");
  Answer a = classify(Endpoint::generate, answered(200, nul), k_now);
  CHECK(a.kind == AnswerKind::created_unnamed);
  CHECK(a.message == "success without a usable taskId (none, or not a short printable id)");
  CHECK(to_string(a.kind) == "created_unnamed");
  std::string huge = R"({"code":200,"message":"success","data":{"taskId":")" + std::string(10240, 'x') + R"("}})";
  CHECK(parse_task_id(huge) == "");
  CHECK(classify(Endpoint::generate, answered(200, huge), k_now).kind == AnswerKind::created_unnamed);
  CHECK(classify(Endpoint::generate, answered(200, R"({"code":200,"message":"success","data":{}})"), k_now).kind ==
        AnswerKind::created_unnamed);
  CHECK(classify(Endpoint::generate, answered(200, R"({"code":200,"message":"success","data":null})"), k_now).kind ==
        AnswerKind::created_unnamed);
  CHECK(classify(Endpoint::generate, answered(200, R"({"code":200,"message":"success"})"), k_now).kind ==
        AnswerKind::created_unnamed);
  // '/' and '..' are harmless: a taskId is only ever sent back URL-encoded, never used as a path.
  CHECK(parse_task_id(R"({"code":200,"data":{"taskId":"a/../b"}})") == "a/../b");
}

TEST_CASE("values an answer chose are cut and made printable before they reach a message") {
  CHECK(printable_excerpt("task_1") == "task_1");
  CHECK(printable_excerpt(std::string("a\0b\nc", 5)) == "a?b?c");
  CHECK(printable_excerpt(std::string(100, 'x'), 8) == "xxxxxxxx...");
}

TEST_CASE("printable_excerpt keeps printable UTF-8 and turns what a terminal obeys into '?'") {
  CHECK(printable_excerpt("caf\xc3\xa9 \xe2\x80\x94 ok") == "caf\xc3\xa9 \xe2\x80\x94 ok");
  CHECK(printable_excerpt("a\x1b[2Jb") == "a?[2Jb");
  CHECK(printable_excerpt("a\xc2\x9b"
                          "31mb") == "a?31mb");  // U+009B, a CSI
  CHECK(printable_excerpt("a\xe2\x80\xae"
                          "b") == "a?b");  // U+202E, right-to-left override
  CHECK(printable_excerpt("a\x9b"
                          "31m\xff\xc0\xaf"
                          "b") == "a?31m???b");  // bytes that are not UTF-8
  CHECK(printable_excerpt("a\x7f") == "a?");
  // A cut never splits a character.
  CHECK(printable_excerpt("ab\xc3\xa9", 3) == "ab...");
  CHECK(printable_excerpt("ab\xc3\xa9", 4) == "ab\xc3\xa9");
}

// Issue 17: a key echoed near the end of a long message was cut before it was redacted, leaving
// its first bytes in the log.
TEST_CASE("the key is redacted before a text is cut, so no piece of it survives") {
  const std::string key = "sk-0123456789abcdef";
  std::string text = std::string(495, 'm') + key;
  CHECK(answer_text(text, key, 500) == std::string(495, 'm') + "[reda...");
  CHECK(answer_text("Bearer " + key + "\x1b[2J", key, 64) == "Bearer [redacted]?[2J");
  Answer a = classify(Endpoint::generate,
                      answered(400, R"({"code":400,"message":")" + std::string(495, 'm') + key + R"(","data":null})"),
                      k_now, key);
  CHECK(a.message == std::string(495, 'm') + "[reda...");
  Answer page = classify(Endpoint::status, answered(502, "<p>" + std::string(75, 'p') + key + "</p>"), k_now, key);
  CHECK(page.message == "HTTP 502 without an API envelope: " + std::string(75, 'p') + "[r...");
}

// Issue 17: an API that echoed the Authorization header in state and failCode put the key on
// stdout, in jobs.fail_code, events.message and the reports; a 100 KB failMsg was kept whole.
TEST_CASE("a status answer's state, failCode and failMsg are redacted, printable and bounded") {
  const std::string key = "sk-0123456789abcdef";
  std::string echo = "Authorization: Bearer " + key;
  std::string body = fmt::format(
      R"({{"code":200,"data":{{"taskId":"t","state":"{0}\u001b]0;x\u0007","failCode":"{0}{1}","failMsg":"{0} {2}"}}}})",
      echo, std::string(200, 'C'), std::string(100 * 1024, 'M'));
  std::string why;
  auto s = parse_task_status(body, &why, "t", nullptr, key);
  REQUIRE(s.has_value());
  CHECK(s->state == TaskState::unknown);
  CHECK(s->raw_state == "Authorization: Bearer [redacted]?]0;x?");
  CHECK(s->fail_code == "Authorization: Bearer [redacted]" + std::string(64 - 32, 'C') + "...");
  CHECK(s->fail_msg.size() == 503);
  CHECK(s->fail_msg.find(key) == std::string::npos);
  CHECK(s->fail_msg.starts_with("Authorization: Bearer [redacted] MMM"));
  // A failed state is still read as failed; the code is kept as given when it is a code.
  auto f = parse_task_status(R"({"code":200,"data":{"taskId":"t","state":"failed","failCode":"NSFW_DETECTED"}})", &why,
                             "t", nullptr, key);
  CHECK(f->state == TaskState::failed);
  CHECK(f->fail_code == "NSFW_DETECTED");
  // The reason an answer is unusable quotes it safely too.
  CHECK_FALSE(parse_task_status(R"({"code":200,"data":{"taskId":")" + key + R"(","state":"success"}})", &why, "t",
                                nullptr, key));
  CHECK(why == "the answer is about task '[redacted]'");
}

// The client reads each answer once (Envelope) and asks it everything; the string forms parse the
// body themselves. Both must mean the same for every kind of body, envelope or not.
TEST_CASE("an answer read once as an Envelope means what its text means") {
  const std::vector<std::pair<int, std::string>> bodies = {
      {200, k_page_submit_ok},
      {400, k_page_insufficient},
      {400, k_page_violation},
      {200, k_page_status_success},
      {200, k_page_status_failed},
      {200, R"({"code":200,"message":"success","data":{"taskId":""}})"},
      {200, R"({"code":200,"message":"success","data":12.5})"},
      {429, R"({"code":429,"message":"Concurrent task limit exceeded"})"},
      {502, "<html>Bad gateway</html>"},
      {200, "not json"},
      {200, "[1,2]"},
  };
  for (const auto& [status, body] : bodies) {
    CAPTURE(body);
    const HttpResponse r = answered(status, body);
    const Envelope read_once(r.body);
    for (Endpoint e : {Endpoint::generate, Endpoint::status, Endpoint::balance}) {
      const Answer by_text = classify(e, r, k_now, "sk-secret");
      const Answer by_envelope = classify(e, r, read_once, k_now, "sk-secret");
      CHECK(by_envelope.kind == by_text.kind);
      CHECK(by_envelope.message == by_text.message);
      CHECK(by_envelope.body_code == by_text.body_code);
      CHECK(by_envelope.limit == by_text.limit);
    }
    CHECK(parse_task_id(read_once) == parse_task_id(body));
    CHECK(parse_balance(read_once) == parse_balance(body));
    std::string why_text, why_envelope;
    auto s_text = parse_task_status(body, &why_text, "task_12345678");
    auto s_envelope = parse_task_status(read_once, &why_envelope, "task_12345678");
    REQUIRE(s_text.has_value() == s_envelope.has_value());
    CHECK(why_text == why_envelope);
    if (s_text) {
      CHECK(s_envelope->state == s_text->state);
      CHECK(s_envelope->result_urls == s_text->result_urls);
      CHECK(s_envelope->fail_code == s_text->fail_code);
    }
  }
  // The page's samples, to be sure the comparison is not between two empty answers.
  CHECK(parse_task_id(Envelope(k_page_submit_ok)) == "task_12345678");
  CHECK(parse_balance(Envelope(R"({"code":200,"message":"success","data":12.5})")) == 12.5);
}
