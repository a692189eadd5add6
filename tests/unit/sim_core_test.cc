#include "sim/sim_core.h"

#include <Poco/JSON/Parser.h>
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>

#include "api/answer.h"
#include "support/fakes.h"

using namespace reelq;

namespace {

const char* k_t2v =
    R"({"request_type":"async","provider":"official","input":{"mode":"text-to-video","prompt":"p","duration":8,"size":"1280*720"}})";

struct SimFixture {
  test::FakeClock clock;
  SimConfig config;
  std::unique_ptr<SimCore> core;

  explicit SimFixture(SimConfig c = {}) : config(std::move(c)) {
    core = std::make_unique<SimCore>(config, clock, "MP4BYTES");
    core->set_public_base("http://127.0.0.1:9");
  }

  SimReply post(const std::string& body, const std::string& key = "sim-key") {
    return core->handle({"POST", "/api/v1/generateTask/sora-2-pro", "", "Bearer " + key, body});
  }
  SimReply status(const std::string& task_id) {
    return core->handle({"GET", "/api/v1/statusTask/sora-2-pro", "taskId=" + task_id, "Bearer sim-key", ""});
  }
  std::string submit_ok(const std::string& body = k_t2v) {
    SimReply r = post(body);
    REQUIRE(r.status == 200);
    return parse_task_id(r.body);
  }
  Poco::JSON::Object::Ptr stats() {
    Poco::JSON::Parser p;
    return p.parse(core->stats_json()).extract<Poco::JSON::Object::Ptr>();
  }
};

SimConfig with(int rpm, int concurrency) {
  SimConfig c;
  c.rpm = rpm;
  c.concurrency = concurrency;
  return c;
}

}  // namespace

TEST_CASE("the 61st request inside a rolling minute gets 429, and it counts in the window too") {
  SimFixture f(with(60, 1000));
  for (int i = 0; i < 60; ++i) {
    CHECK(f.status("none").status == 404);
    f.clock.advance(500);  // 60 requests over 30 s
  }
  SimReply r = f.status("none");
  CHECK(r.status == 429);
  CHECK(r.body == R"({"code":429,"message":"Rate limit exceeded","data":null})");
  f.clock.advance(30'001);  // only the first request has left the window; the 429'd one is still in it
  CHECK(f.status("none").status == 429);
  f.clock.advance(30'000);  // now everything up to and including the first 429 has left it
  CHECK(f.status("none").status == 404);
  CHECK(f.stats()->getValue<int>("rate_limited_sent") == 2);
  CHECK(f.stats()->getValue<int>("max_requests_in_window") == 61);
}

TEST_CASE("the 11th concurrent task gets 429; a finished task frees its slot") {
  SimFixture f(with(1000, 10));
  for (int i = 0; i < 10; ++i) {
    f.submit_ok();
  }
  SimReply r = f.post(k_t2v);
  CHECK(r.status == 429);
  CHECK(r.body == R"({"code":429,"message":"Concurrent task limit exceeded","data":null})");
  f.clock.advance(10 * 60 * 1000);  // every render is done
  CHECK(f.post(k_t2v).status == 200);
  CHECK(f.stats()->getValue<int>("max_concurrent_tasks") == 10);
}

TEST_CASE("a task goes pending, processing, success, with the page's fields and a file that expires") {
  SimFixture f;
  TimeMs t0 = f.clock.now_ms();
  std::string id = f.submit_ok();
  std::string why;
  CHECK(parse_task_status(f.status(id).body, &why)->state == TaskState::pending);
  f.clock.advance(30'000);
  CHECK(parse_task_status(f.status(id).body, &why)->state == TaskState::processing);
  f.clock.advance(10 * 60 * 1000);
  SimReply done = f.status(id);
  auto s = parse_task_status(done.body, &why);
  REQUIRE(s.has_value());
  CHECK(s->state == TaskState::success);
  CHECK(s->create_time == t0);
  REQUIRE(s->cost_time.has_value());
  CHECK(*s->cost_time > 120'000);  // around the 180 s mean
  CHECK(*s->cost_time < 260'000);
  REQUIRE(s->result_urls.size() == 1);
  std::string url = s->result_urls[0];
  REQUIRE(url.starts_with("http://127.0.0.1:9/files/" + id + "/0.mp4?expires="));
  std::string query = url.substr(url.find('?') + 1);
  SimReply file = f.core->handle({"GET", "/files/" + id + "/0.mp4", query, "", ""});
  CHECK(file.status == 200);
  CHECK(file.body == "MP4BYTES");
  f.clock.advance(16LL * 86400 * 1000);
  CHECK(f.core->handle({"GET", "/files/" + id + "/0.mp4", query, "", ""}).status == 403);
}

TEST_CASE("render times are fixed by the seed and grow with duration and resolution") {
  auto cost_of = [](const std::string& input, std::uint64_t seed) {
    SimConfig c;
    c.seed = seed;
    SimFixture f(c);
    std::string id = f.submit_ok(std::string(R"({"provider":"official","input":)") + input + "}");
    f.clock.advance(30 * 60 * 1000);
    std::string why;
    return *parse_task_status(f.status(id).body, &why)->cost_time;
  };
  const std::string short_clip = R"({"mode":"text-to-video","prompt":"p","duration":4,"size":"1280*720"})";
  const std::string long_clip = R"({"mode":"text-to-video","prompt":"p","duration":12,"size":"1792*1024"})";
  CHECK(cost_of(short_clip, 7) == cost_of(short_clip, 7));
  CHECK(cost_of(short_clip, 7) < cost_of(long_clip, 7));
}

TEST_CASE("time scale shrinks renders and the rate window alike") {
  SimConfig c = with(60, 10);
  c.time_scale = 0.01;
  SimFixture f(c);
  std::string id = f.submit_ok();
  f.clock.advance(6000);  // 6 s is 10 minutes at scale 0.01
  std::string why;
  CHECK(parse_task_status(f.status(id).body, &why)->state == TaskState::success);
  CHECK(f.stats()->getValue<int>("rate_window_ms") == 600);
}

TEST_CASE("requests are validated as the real API does") {
  SimFixture f;
  auto error_of = [&](const std::string& body) {
    SimReply r = f.post(body);
    CHECK(r.status == 400);
    return r.body;
  };
  CHECK(error_of(R"({"provider":"official","input":{"mode":"text-to-video","duration":8}})") ==
        R"({"code":400,"message":"Invalid request","data":{"error":"Missing required field: input.prompt"}})");
  CHECK(error_of(R"({"provider":"official","input":{"prompt":"p","duration":10,"size":"1280*720"}})")
            .find("input.duration must be 4, 8 or 12") != std::string::npos);
  CHECK(error_of(R"({"provider":"official","input":{"prompt":"p","duration":8,"size":"1920*1080"}})")
            .find("input.size must be one of") != std::string::npos);
  CHECK(error_of(R"({"provider":"official","input":{"mode":"image-to-video","prompt":"p","duration":8}})")
            .find("Missing required field: input.image_urls") != std::string::npos);
  CHECK(
      error_of(
          R"({"provider":"official","input":{"mode":"image-to-video","prompt":"p","duration":8,"image_urls":["file:///etc/passwd"]}})")
          .find("input.image_urls must be http(s) URLs") != std::string::npos);
  CHECK(error_of(R"({"provider":"fast","input":{"prompt":"p","duration":8}})").find("provider must be official") !=
        std::string::npos);
  CHECK(error_of(R"({"request_type":"callback","provider":"official","input":{"prompt":"p","duration":8}})")
            .find("callback_url is required") != std::string::npos);
  CHECK(error_of("not json").find("not a JSON object") != std::string::npos);
}

TEST_CASE("a wrong key gets 401 and another key's task is not found") {
  SimConfig c;
  c.keys = {"k1", "k2"};
  SimFixture f(c);
  CHECK(f.post(k_t2v, "nope").status == 401);
  SimReply r = f.post(k_t2v, "k1");
  std::string id = parse_task_id(r.body);
  CHECK(f.core->handle({"GET", "/api/v1/statusTask/sora-2-pro", "taskId=" + id, "Bearer k2", ""}).status == 404);
}

TEST_CASE("configured words and URLs give the documented failures") {
  SimFixture f;
  SimReply rejected =
      f.post(R"({"provider":"official","input":{"prompt":"please REJECTME","duration":8,"size":"1280*720"}})");
  CHECK(rejected.status == 400);
  CHECK(rejected.body ==
        R"({"code":400,"message":"Content violates provider policy, please adjust the prompt","data":null})");
  std::string v =
      f.submit_ok(R"({"provider":"official","input":{"prompt":"VIOLATEME","duration":4,"size":"1280*720"}})");
  std::string i = f.submit_ok(
      R"({"provider":"official","input":{"mode":"image-to-video","prompt":"p","duration":4,"resolution":"720p","image_urls":["https://x.test/unreachable.png"]}})");
  f.clock.advance(30 * 60 * 1000);
  std::string why;
  auto vs = parse_task_status(f.status(v).body, &why);
  CHECK(vs->state == TaskState::failed);
  CHECK(vs->fail_code == "CONTENT_VIOLATION");
  CHECK_FALSE(vs->cost_time.has_value());
  CHECK(parse_task_status(f.status(i).body, &why)->fail_code == "INVALID_IMAGE_URL");
}

TEST_CASE("credits: each task costs its price, failures are refunded, and too little is 400") {
  SimConfig c;
  c.credits = 5.0;  // 1280*720 costs 0.30 per second: an 8 s video is 2.40
  SimFixture f(c);
  f.submit_ok();
  f.submit_ok();
  SimReply r = f.post(k_t2v);
  CHECK(r.status == 400);
  CHECK(r.body == R"({"code":400,"message":"Insufficient credits","data":null})");
  SimReply bal = f.core->handle({"GET", "/api/v1/apikeys/current-balance", "", "Bearer sim-key", ""});
  CHECK(bal.body == R"({"code":200,"message":"success","data":0.2000})");
}

TEST_CASE("a failed task's price is back in the balance once it has failed, asked about or not") {
  SimConfig c;
  c.credits = 5.0;
  c.violation_word = "forbidden";
  SimFixture f(c);
  f.submit_ok(R"({"provider":"official","input":{"prompt":"forbidden","duration":8,"size":"1280*720"}})");
  auto balance = [&] {
    return f.core->handle({"GET", "/api/v1/apikeys/current-balance", "", "Bearer sim-key", ""}).body;
  };
  CHECK(balance() == R"({"code":200,"message":"success","data":2.6000})");  // held while it renders
  f.clock.advance(30 * 60 * 1000);                                          // it has failed; nobody polled it
  CHECK(balance() == R"({"code":200,"message":"success","data":5.0000})");
}

TEST_CASE("identical inputs are counted, so a test can prove nothing was submitted twice") {
  SimFixture f;
  f.submit_ok();
  f.submit_ok();
  f.submit_ok(R"({"provider":"official","input":{"prompt":"other","duration":8,"size":"1280*720"}})");
  CHECK(f.stats()->getValue<int>("tasks_created") == 3);
  CHECK(f.stats()->getValue<int>("max_tasks_per_input") == 2);
}

TEST_CASE("callbacks are delivered when a task ends, retried 3 times, then given up") {
  SimFixture f;
  std::string id = f.submit_ok(
      R"({"request_type":"callback","callback_url":"http://127.0.0.1:1/cb","provider":"official","input":{"prompt":"p","duration":4,"size":"1280*720"}})");
  CHECK(f.core->due_callbacks().empty());
  f.clock.advance(30 * 60 * 1000);
  auto due = f.core->due_callbacks();
  REQUIRE(due.size() == 1);
  CHECK(due[0].task_id == id);
  CHECK(due[0].body.find(R"("state":"success")") != std::string::npos);
  int deliveries = 1;
  CallbackDelivery d = due[0];
  while (true) {
    f.core->callback_done(d, false);
    f.clock.advance(60'000);
    auto again = f.core->due_callbacks();
    if (again.empty()) {
      break;
    }
    d = again[0];
    ++deliveries;
  }
  CHECK(deliveries == 4);  // the first delivery and 3 retries
}

TEST_CASE("faults are seeded: the same seed gives the same faults") {
  auto outcomes = [](std::uint64_t seed) {
    SimConfig c = with(100000, 100000);
    c.seed = seed;
    c.faults.server_error = 0.2;
    c.faults.drop_before = 0.1;
    SimFixture f(c);
    std::string seen;
    for (int i = 0; i < 50; ++i) {
      SimReply r = f.status("x");
      seen += r.fault == SimFault::drop_before ? 'd' : r.status == 502 ? '5' : '.';
    }
    return seen;
  };
  CHECK(outcomes(3) == outcomes(3));
  CHECK(outcomes(3) != outcomes(4));
  CHECK(outcomes(3).find('5') != std::string::npos);
  CHECK(outcomes(3).find('d') != std::string::npos);
}

TEST_CASE("a dropped-after-create submit leaves a task the client never heard of") {
  SimConfig c;
  c.faults.drop_after = 1.0;
  SimFixture f(c);
  SimReply r = f.post(k_t2v);
  CHECK(r.fault == SimFault::drop_after);
  CHECK(f.stats()->getValue<int>("tasks_created") == 1);
}

TEST_CASE("callback faults: a lost callback never comes, a late one comes 30-120 s late, a doubled one twice") {
  const std::string body =
      R"({"request_type":"callback","callback_url":"http://127.0.0.1:1/cb","provider":"official","input":{"prompt":"p","duration":4,"size":"1280*720"}})";
  auto deliveries_until = [&](SimFixture& f, TimeMs until) {
    std::vector<TimeMs> at;
    for (TimeMs t = 0; t < until; t += 1000) {
      for (const auto& d : f.core->due_callbacks()) {
        f.core->callback_done(d, true);
        at.push_back(t);
      }
      f.clock.advance(1000);
    }
    return at;
  };
  SimConfig lost;
  lost.faults.callback_lost = 1;
  SimFixture a(lost);
  a.submit_ok(body);
  CHECK(deliveries_until(a, 3'600'000).empty());
  CHECK(a.stats()->getObject("callbacks")->getValue<int>("lost") == 1);

  SimConfig twice;
  twice.faults.callback_twice = 1;
  SimFixture b(twice);
  b.submit_ok(body);
  auto at = deliveries_until(b, 3'600'000);
  REQUIRE(at.size() == 2);
  CHECK(at[0] == at[1]);

  SimConfig late;
  late.faults.callback_late = 1;
  SimFixture c(late);
  SimFixture on_time;
  c.submit_ok(body);
  on_time.submit_ok(body);
  auto late_at = deliveries_until(c, 3'600'000);
  auto on_time_at = deliveries_until(on_time, 3'600'000);
  REQUIRE(late_at.size() == 1);
  REQUIRE(on_time_at.size() == 1);
  CHECK(late_at[0] - on_time_at[0] >= 30'000);
  CHECK(late_at[0] - on_time_at[0] <= 121'000);
}

TEST_CASE("with a state file, a simulator started again knows its tasks, credits and counts") {
  std::string path = (std::filesystem::temp_directory_path() / ("reelq-sim-state-" + std::to_string(::getpid()))).string();
  std::filesystem::remove(path);
  SimConfig c;
  c.credits = 5.0;
  c.state_path = path;
  std::string first;
  test::FakeClock clock;
  {
    SimCore core(c, clock, "MP4BYTES");
    REQUIRE(core.load_state().ok());  // no file yet: a fresh simulator
    core.set_public_base("http://127.0.0.1:9");
    SimReply r = core.handle({"POST", "/api/v1/generateTask/sora-2-pro", "", "Bearer sim-key", k_t2v});
    REQUIRE(r.status == 200);
    first = parse_task_id(r.body);
  }  // killed: only what was written when the task was made survives
  SimCore again(c, clock, "MP4BYTES");
  REQUIRE(again.load_state().ok());
  again.set_public_base("http://127.0.0.1:9");
  clock.advance(30 * 60 * 1000);
  SimReply st = again.handle({"GET", "/api/v1/statusTask/sora-2-pro", "taskId=" + first, "Bearer sim-key", ""});
  CHECK(st.status == 200);
  CHECK(st.body.find(R"("state":"success")") != std::string::npos);
  SimReply next = again.handle({"POST", "/api/v1/generateTask/sora-2-pro", "", "Bearer sim-key", k_t2v});
  REQUIRE(next.status == 200);
  CHECK(parse_task_id(next.body) != first);  // ids go on from where they were
  SimReply bal = again.handle({"GET", "/api/v1/apikeys/current-balance", "", "Bearer sim-key", ""});
  CHECK(bal.body == R"({"code":200,"message":"success","data":0.2000})");  // two 2.40 tasks paid from 5.00
  Poco::JSON::Parser p;
  auto stats = p.parse(again.stats_json()).extract<Poco::JSON::Object::Ptr>();
  CHECK(stats->getValue<int>("tasks_created") == 2);
  CHECK(stats->getValue<int>("max_tasks_per_input") == 2);

  SimConfig two_keys = c;
  two_keys.keys = {"a", "b"};
  SimCore wrong(two_keys, clock, "MP4BYTES");
  CHECK(wrong.load_state().error().message == path + " holds the credits of 1 key; this simulator has 2 keys (--keys)");
  std::filesystem::remove(path);
}

TEST_CASE("hostile downloads: task 1's result file escapes, redirects or never ends; task 2's is served") {
  auto result_url = [](SimFixture& f, const std::string& id) {
    std::string why;
    auto s = parse_task_status(f.status(id).body, &why);
    REQUIRE(s.has_value());
    REQUIRE(s->result_urls.size() == 1);
    return s->result_urls[0];
  };
  auto get = [](SimFixture& f, const std::string& url) {
    std::string rest = url.substr(std::string("http://127.0.0.1:9").size());
    return f.core->handle({"GET", rest.substr(0, rest.find('?')), rest.substr(rest.find('?') + 1), "", ""});
  };
  auto run = [&](const char* kind) {
    SimConfig c;
    c.hostile = *parse_sim_hostile(kind);
    auto f = std::make_unique<SimFixture>(c);
    std::string first = f->submit_ok();
    std::string second = f->submit_ok();
    f->clock.advance(30 * 60 * 1000);
    std::string url = result_url(*f, first);
    SimReply other = get(*f, result_url(*f, second));
    CHECK(other.status == 200);
    CHECK(other.fault == SimFault::none);
    return std::make_tuple(std::move(f), url, first);
  };
  SUBCASE("escaping-result-url") {
    auto [f, url, id] = run("escaping-result-url");
    CHECK(url.starts_with("http://127.0.0.1:9/files/" + id + "/../../../../etc/passwd?expires="));
    SimReply r = get(*f, url);
    CHECK(r.status == 200);
    CHECK(r.body == "MP4BYTES");
  }
  SUBCASE("redirect-loop") {
    auto [f, url, id] = run("redirect-loop");
    SimReply r = get(*f, url);
    CHECK(r.status == 302);
    CHECK(r.headers == Headers{{"Location", url}});
  }
  SUBCASE("redirect-to-file") {
    auto [f, url, id] = run("redirect-to-file");
    CHECK(get(*f, url).headers == Headers{{"Location", "file:///etc/passwd"}});
  }
  SUBCASE("endless-download and trickle-download") {
    auto [f, url, id] = run("endless-download");
    CHECK(get(*f, url).fault == SimFault::endless);
    auto [g, url2, id2] = run("trickle-download");
    CHECK(get(*g, url2).fault == SimFault::trickle);
    CHECK(get(*g, url2).body == "MP4BYTES");  // what it trickles first
  }
}

TEST_CASE("API answers carry the configured delay, downloads and the stats none; the stats count slow ones") {
  SimConfig c;
  c.time_scale = 0.05;
  c.latency.latency_ms = 300;
  c.latency.slow_rate = 0.5;
  c.latency.slow_seconds = 30;
  SimFixture f(c);
  int slow = 0;
  for (int i = 0; i < 40; ++i) {
    SimReply r = f.status("none");
    CHECK((r.delay_ms == 15 || r.delay_ms == 1500));
    slow += r.delay_ms == 1500 ? 1 : 0;
  }
  CHECK(slow > 5);
  CHECK(slow < 35);
  CHECK(f.core->handle({"GET", "/files/none/0.mp4", "", "", ""}).delay_ms == 0);
  CHECK(f.core->handle({"GET", "/__sim/stats", "", "", ""}).delay_ms == 0);
  auto s = f.stats();
  CHECK(s->getValue<int>("slow_answers") == slow);
  CHECK(s->getObject("latency")->getValue<double>("latency_ms") == 300);
  CHECK(s->getObject("latency")->getValue<double>("slow_rate") == 0.5);
}

TEST_CASE("429s are counted by kind, each with the API's own message") {
  SimFixture f(with(3, 1));
  f.submit_ok();
  SimReply concurrency = f.post(k_t2v);
  CHECK(concurrency.status == 429);
  CHECK(concurrency.body == R"({"code":429,"message":"Concurrent task limit exceeded","data":null})");
  f.status("none");
  SimReply rate = f.status("none");
  CHECK(rate.status == 429);
  CHECK(rate.body == R"({"code":429,"message":"Rate limit exceeded","data":null})");
  auto s = f.stats();
  CHECK(s->getObject("rate_limited_by_kind")->getValue<int>("rate") == 1);
  CHECK(s->getObject("rate_limited_by_kind")->getValue<int>("concurrency") == 1);
  CHECK(s->getValue<int>("rate_limited_sent") == 2);
  CHECK(s->getObject("requests")->getObject("generateTask")->getValue<int>("concurrency_limited") == 1);
}

TEST_CASE("done_unseen: finished tasks nobody asked about, and the longest wait to be told") {
  SimFixture f(with(1000, 10));
  std::string a = f.submit_ok();
  std::string b = f.submit_ok();
  auto unseen = [&] { return f.stats()->getObject("done_unseen"); };
  CHECK(unseen()->getValue<int>("tasks") == 0);
  f.status(a);  // still rendering: not yet told it ended
  f.clock.advance(30 * 60 * 1000);  // both ended long ago (renders take ~3 min)
  CHECK(unseen()->getValue<int>("tasks") == 2);
  TimeMs waited = unseen()->getValue<TimeMs>("longest_wait_ms");
  CHECK(waited > 20 * 60 * 1000);
  f.status(a);
  f.status(b);
  CHECK(unseen()->getValue<int>("tasks") == 0);
  f.clock.advance(60'000);  // told: their waits no longer grow
  CHECK(unseen()->getValue<TimeMs>("longest_wait_ms") == waited);
}

TEST_CASE("the free plan's caps come from the plan table") {
  REQUIRE(sim_plan_caps("free").has_value());
  CHECK(sim_plan_caps("free")->rpm == 10);
  CHECK(sim_plan_caps("free")->concurrency == 3);
  CHECK(sim_plan_caps("pro")->rpm == 60);
  CHECK(sim_plan_caps("pro")->concurrency == 10);
  CHECK_FALSE(sim_plan_caps("enterprise").has_value());
}
