#include "api/client.h"

#include <doctest/doctest.h>

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
  CHECK(missing.error().message == "cannot read the API key file " + (dir / "nope").string() + ": No such file or directory");
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
