#include "api/client.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <cstdlib>

#include "api/poco_transport.h"
#include "support/fake_transport.h"
#include "support/fakes.h"

using namespace reelq;

TEST_CASE("the client sends the documented requests with the key only in Authorization") {
  test::FakeTransport t;
  test::FakeClock clock;
  HttpApiClient client(t, "https://api.apixo.ai/", "sk-secret", clock);
  t.answer(200, R"({"code":200,"message":"success","data":{"taskId":"task_1"}})");
  SubmitResult s = client.submit("sora-2-pro", R"({"request_type":"async"})");
  CHECK(s.answer.kind == AnswerKind::ok);
  CHECK(s.task_id == "task_1");
  REQUIRE(t.requests.size() == 1);
  CHECK(t.requests[0].method == "POST");
  CHECK(t.requests[0].url == "https://api.apixo.ai/api/v1/generateTask/sora-2-pro");
  CHECK(t.requests[0].body == R"({"request_type":"async"})");
  bool auth = false;
  for (const auto& [k, v] : t.requests[0].headers) {
    if (k == "Authorization") {
      auth = v == "Bearer sk-secret";
    }
  }
  CHECK(auth);

  t.answer(200, R"({"code":200,"message":"success","data":{"taskId":"a b&c","state":"pending"}})");
  StatusResult st = client.status("sora-2-pro", "a b&c");
  CHECK(t.requests[1].url == "https://api.apixo.ai/api/v1/statusTask/sora-2-pro?taskId=a%20b%26c");
  CHECK(st.status->state == TaskState::pending);

  t.answer(200, R"({"code":200,"message":"success","data":74.8700})");
  CHECK(client.balance().balance == doctest::Approx(74.87));
  CHECK(t.requests[2].url == "https://api.apixo.ai/api/v1/apikeys/current-balance");
}

TEST_CASE("an answer that echoes the key back has it redacted") {
  test::FakeTransport t;
  test::FakeClock clock;
  HttpApiClient client(t, "http://127.0.0.1:1", "sk-secret", clock);
  t.answer(400, R"({"code":400,"message":"bad header Bearer sk-secret","data":null})");
  SubmitResult s = client.submit("sora-2-pro", "{}");
  CHECK(s.answer.message == "bad header Bearer [redacted]");
}

TEST_CASE("a status answer without a usable state is transient, not a result") {
  test::FakeTransport t;
  test::FakeClock clock;
  HttpApiClient client(t, "http://127.0.0.1:1", "k", clock);
  t.answer(200, R"({"code":200,"message":"success","data":{"taskId":"t"}})");
  StatusResult st = client.status("sora-2-pro", "t");
  CHECK(st.answer.kind == AnswerKind::transient);
  CHECK(st.answer.message == "unusable status answer: no state");
  CHECK_FALSE(st.status.has_value());
}

TEST_CASE("a status answer that reads fine but does not answer is unusable, with reelq's fail code") {
  test::FakeTransport t;
  test::FakeClock clock;
  HttpApiClient client(t, "http://127.0.0.1:1", "sk-test", clock);
  t.answer(200, R"({"code":200,"message":"success","data":{"taskId":"task_2","state":"success",)"
                R"("resultJson":"{\"resultUrls\":[\"https://cdn.test/2.mp4\"]}"}})");
  StatusResult other = client.status("sora-2-pro", "task_1");
  CHECK(other.answer.kind == AnswerKind::unusable);
  CHECK(other.answer.fail_code == "STATUS_MISMATCH");
  CHECK(other.answer.message == "unusable status answer: the answer is about task 'task_2'");
  CHECK_FALSE(other.status.has_value());

  t.answer(200, R"({"code":200,"message":"success","data":{"taskId":"task_1","state":"success","resultJson":"oops"}})");
  StatusResult empty = client.status("sora-2-pro", "task_1");
  CHECK(empty.answer.kind == AnswerKind::unusable);
  CHECK(empty.answer.fail_code == "RESULT_UNREADABLE");
  CHECK(empty.answer.message == "unusable status answer: success with a resultJson that is not a JSON object");
}

TEST_CASE("the key comes from a file or the environment, trimmed, and errors never quote it") {
  test::TempDir dir;
  test::write_file(dir / "key", "  sk-from-file\n");
  CHECK(load_api_key((dir / "key").string()).value() == "sk-from-file");
  test::write_file(dir / "bad", "sk-one sk-two\n");
  auto bad = load_api_key((dir / "bad").string());
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.find("sk-") == std::string::npos);
  auto missing = load_api_key((dir / "nope").string());
  CHECK(missing.error().message ==
        "cannot read the API key file " + (dir / "nope").string() + ": No such file or directory");
}

TEST_CASE("proxies come from the environment unless NO_PROXY matches the host") {
  setenv("HTTPS_PROXY", "http://proxy.test:3128", 1);
  setenv("NO_PROXY", "localhost, .internal.test,127.0.0.1", 1);
  CHECK(proxy_for("https", "api.apixo.ai") == "http://proxy.test:3128");
  CHECK(proxy_for("https", "127.0.0.1") == "");
  CHECK(proxy_for("https", "cdn.internal.test") == "");
  CHECK(proxy_for("https", "internal.test") == "");
  CHECK(proxy_for("http", "api.apixo.ai") == "");  // HTTP_PROXY is not set
  unsetenv("HTTPS_PROXY");
  unsetenv("NO_PROXY");
}

// Issue 17: the message was cut to 500 bytes before the key was redacted, so a key echoed at the
// cut left its first bytes in the log, the database and the reports.
TEST_CASE("a key echoed where a long message is cut leaves no piece of itself") {
  test::FakeTransport t;
  test::FakeClock clock;
  HttpApiClient client(t, "http://127.0.0.1:1", "sk-0123456789abcdef", clock);
  t.answer(400, R"({"code":400,"message":")" + std::string(495, 'm') + R"(sk-0123456789abcdef","data":null})");
  SubmitResult s = client.submit("sora-2-pro", "{}");
  CHECK(s.answer.message == std::string(495, 'm') + "[reda...");
  t.answer(200, R"({"code":200,"data":{"taskId":"t","state":"failed","failCode":"Bearer sk-0123456789abcdef",)"
                R"("failMsg":"echo sk-0123456789abcdef"}})");
  StatusResult st = client.status("sora-2-pro", "t");
  REQUIRE(st.status.has_value());
  CHECK(st.status->fail_code == "Bearer [redacted]");
  CHECK(st.status->fail_msg == "echo [redacted]");
}

namespace {

std::string success_with(const std::string& urls) {
  return R"({"code":200,"data":{"taskId":"t","state":"success","resultJson":"{\"resultUrls\":[)" + urls + R"(]}"}})";
}

}  // namespace

// Issue 17: one success with 3,000 resultUrls made reelq write 2,564 files; any host was fetched.
TEST_CASE("a success with too many result URLs, or URLs on this machine's network, is not a result") {
  test::FakeTransport t;
  test::FakeClock clock;
  HttpApiClient public_api(t, "https://api.apixo.ai", "k", clock);
  auto ask = [&](HttpApiClient& client, const std::string& urls) {
    t.answer(200, success_with(urls));
    return client.status("sora-2-pro", "t");
  };
  StatusResult fine = ask(public_api, R"(\"https://cdn.apixo.ai/a.mp4\")");
  CHECK(fine.answer.kind == AnswerKind::ok);
  std::string five;
  for (int i = 0; i < 5; ++i) {
    five += fmt::format(R"({}\"https://cdn.apixo.ai/{}.mp4\")", i ? "," : "", i);
  }
  StatusResult many = ask(public_api, five);
  CHECK(many.answer.kind == AnswerKind::unusable);
  CHECK(many.answer.fail_code == "RESULT_UNREADABLE");
  CHECK(many.answer.message == "unusable status answer: success with 5 result URLs; a take has at most 4");
  CHECK_FALSE(many.status.has_value());
  StatusResult metadata = ask(public_api, R"(\"http://169.254.169.254/latest/meta-data/\")");
  CHECK(metadata.answer.kind == AnswerKind::unusable);
  CHECK(metadata.answer.fail_code == "RESULT_UNREADABLE");
  CHECK(metadata.answer.message ==
        "unusable status answer: success with a result URL on '169.254.169.254', this "
        "machine, a private network or no public host; reelq fetches results there only from an API there");
  CHECK(ask(public_api, R"(\"http://127.0.0.1:8080/v.mp4\")").answer.kind == AnswerKind::unusable);
  // An API on this machine (the simulator, the tests) may point at this machine.
  HttpApiClient local_api(t, "http://127.0.0.1:9", "k", clock);
  CHECK(ask(local_api, R"(\"http://127.0.0.1:8080/v.mp4\")").answer.kind == AnswerKind::ok);
}
