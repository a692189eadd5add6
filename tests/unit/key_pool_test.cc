// A pool of keys in one run (sched/key_lane.h) against the simulator with several keys, on the fake
// clock: every key's slots filled and never passed, every task polled with the key that made it, a
// key the API refuses mid-run leaving the pool while the others go on, and a key out of credits
// going back to work after a top-up without a resume.
#include <doctest/doctest.h>

#include "api/dispatch.h"
#include "api/inline_dispatch.h"
#include "support/priced_run.h"

using namespace reelq;

namespace {

using Harness = test::RunHarness;

SimKey sim_key(const std::string& name, const std::string& key, int concurrency, std::optional<double> credits = {}) {
  SimKey k(key);
  k.name = name;
  k.rpm = 60;
  k.concurrency = concurrency;
  k.credits = credits;
  return k;
}

// Answers as the API does for a key withdrawn mid-run once `left` calls have been made with it.
class RevokedAfter final : public ApiClient {
 public:
  RevokedAfter(ApiClient& inner, int left) : m_inner(inner), m_left(left) {}
  SubmitResult submit(const std::string& model, const std::string& body) override {
    return m_left-- > 0 ? m_inner.submit(model, body) : SubmitResult{refused(), ""};
  }
  StatusResult status(const std::string& model, const std::string& task_id) override {
    if (m_left-- > 0) {
      return m_inner.status(model, task_id);
    }
    StatusResult r;
    r.answer = refused();
    return r;
  }
  BalanceResult balance() override { return m_inner.balance(); }

 private:
  static Answer refused() {
    Answer a;
    a.kind = AnswerKind::unauthorized;
    a.http_status = 401;
    a.message = "Invalid or missing API Key";
    return a;
  }
  ApiClient& m_inner;
  int m_left;
};

// A run over keys "a" (10 slots) and "b" (`b_slots`), each with its own client; `wrap_b` may stand
// in front of b's client.
struct PoolRun {
  Harness h;
  std::unique_ptr<HttpApiClient> b_client;
  std::unique_ptr<ApiClient> b_wrapped;
  std::unique_ptr<InlineDispatch> dispatch;
  std::function<std::unique_ptr<ApiClient>(ApiClient&)> wrap_b;

  explicit PoolRun(int b_slots, std::optional<double> a_credits = {}, std::optional<double> b_credits = {})
      : h(config(b_slots, a_credits, b_credits)), m_b_slots(b_slots) {
    h.key = "key-a";
    h.adjust = [this](RunConfig& rc) { pool(rc); };
  }

  void pool(RunConfig& rc) {
    {
      b_client = std::make_unique<HttpApiClient>(*h.transport, "http://sim", "key-b", h.clock);
      ApiClient* b = b_client.get();
      if (wrap_b) {
        b_wrapped = wrap_b(*b_client);
        b = b_wrapped.get();
      }
      dispatch = std::make_unique<InlineDispatch>(ApiClients{h.api.get(), b});
      rc.dispatch = dispatch.get();
      rc.pool = {PoolKey{{"a", key_fingerprint("key-a")}, 60, 10, ""},
                 PoolKey{{"b", key_fingerprint("key-b")}, 60, m_b_slots, ""}};
    }
  }

  static SimConfig config(int b_slots, std::optional<double> a_credits, std::optional<double> b_credits) {
    SimConfig c;
    c.keys = {sim_key("a", "key-a", 10, a_credits), sim_key("b", "key-b", b_slots, b_credits)};
    return c;
  }
  int m_b_slots;

  Poco::JSON::Object::Ptr key_stats(const std::string& name) { return h.stats()->getObject("keys")->getObject(name); }
  int jobs_of(const std::string& key_name) { return h.count("key_name = '" + key_name + "'"); }
};

std::string jobs(int n) {
  std::string m = "batch: night\ndefaults: {duration: 4, size: 1280*720}\njobs:\n";
  for (int i = 0; i < n; ++i) {
    m += "  - id: j" + std::to_string(i) + "\n    prompt: \"shot " + std::to_string(i) + "\"\n";
  }
  return m;
}

}  // namespace

TEST_CASE("a pool fills both keys' slots, never past either's cap, and polls each task with its own key") {
  PoolRun p(4);
  p.h.enqueue(jobs(40));
  RunSummary s = p.h.run();
  CHECK(s.end == RunEnd::finished);
  CHECK(s.succeeded == 40);
  for (const char* name : {"a", "b"}) {
    auto k = p.key_stats(name);
    INFO("key " << name);
    CHECK(k->getValue<int>("foreign_polls") == 0);
    CHECK(k->getValue<int>("concurrency_429") == 0);
    CHECK(k->getValue<int>("rate_429") == 0);
  }
  CHECK(p.key_stats("a")->getValue<int>("most_running") == 10);  // filled, not passed
  CHECK(p.key_stats("b")->getValue<int>("most_running") == 4);
  // Spread by free slots: about 10 to 4, not all on the first key of the file.
  CHECK(p.jobs_of("b") >= 6);
  CHECK(p.jobs_of("a") >= 20);
  CHECK(p.jobs_of("a") + p.jobs_of("b") == 40);
}

TEST_CASE("a key refused mid-run leaves the pool: the other key renders the rest, its tasks are not failed") {
  PoolRun p(4);
  p.wrap_b = [](ApiClient& b) { return std::make_unique<RevokedAfter>(b, 3); };  // 3 submits, then 401
  p.h.enqueue(jobs(20));
  RunSummary s = p.h.run();
  CHECK(p.h.observer.saw("key b: the API refused the key (HTTP 401)"));
  CHECK(p.h.observer.saw("it leaves the pool and the other keys go on (3 tasks it made are left at the API"));
  CHECK(s.end == RunEnd::keys_lost);
  CHECK(s.succeeded == 17);
  CHECK(s.failed == 0);
  CHECK(s.left == 3);
  CHECK(p.h.count("state = 'running' AND key_name = 'b'") == 3);  // left as they were: a resume with b collects them
  REQUIRE(s.refused_keys.size() == 1);
  CHECK(s.refused_keys[0].find("key b left the pool") != std::string::npos);
  CHECK(s.message.find("--drop-key") != std::string::npos);
}

TEST_CASE("every key refused: the run stops at once, as one key refused does (exit 4)") {
  PoolRun p(4);
  p.wrap_b = [](ApiClient& b) { return std::make_unique<RevokedAfter>(b, 0); };
  p.h.key = "not-a-key";  // the simulator refuses a: 401 for every request
  p.h.enqueue(jobs(6));
  RunSummary s = p.h.run();
  CHECK(s.end == RunEnd::key_refused);
  CHECK(s.message.find("refused every key") != std::string::npos);
  CHECK(s.failed == 0);
}

TEST_CASE("a key out of credits stops taking jobs while the other goes on, and a top-up puts it back to work") {
  PoolRun p(10, 60.0, 6.0);  // renders of $2.40: key b pays for two, then runs out
  test::price_like_reelq_run(p.h);
  auto priced = p.h.adjust;
  p.h.adjust = [&](RunConfig& rc) {
    priced(rc);
    p.pool(rc);
  };
  p.h.enqueue(test::priced_renders(16));
  bool topped_up = false;
  p.h.observer.on_progress = [&](const Progress&) {
    if (!topped_up && p.h.observer.saw("key b: credits exhausted")) {
      REQUIRE(p.h.sim->add_credits(1, 40.0));
      topped_up = true;
    }
  };
  RunSummary s = p.h.run();
  CHECK(p.h.observer.saw("it takes no new job, the other keys go on"));
  CHECK(topped_up);
  CHECK(p.h.observer.saw("key b: balance"));
  CHECK(p.h.observer.saw("credits topped up, submitting again"));
  CHECK(s.end == RunEnd::finished);
  CHECK(s.succeeded == 16);
  CHECK(p.h.count("key_name = 'b'") > 2);  // b rendered after its top-up
}
