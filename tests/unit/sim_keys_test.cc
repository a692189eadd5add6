// `reelq sim --keys NAME:KEY:RPM:CONCURRENT[:CREDITS]`: the parsing, and each key's own caps,
// credits, 429s and stats in SimCore (issue 20's simulator).
#include <Poco/JSON/Parser.h>
#include <doctest/doctest.h>

#include "api/answer.h"
#include "sim/sim_core.h"
#include "support/fakes.h"

using namespace reelq;

namespace {

const char* k_t2v =
    R"({"request_type":"async","provider":"official","input":{"mode":"text-to-video","prompt":"p","duration":8,"size":"1280*720"}})";
const std::string k_rate = R"({"code":429,"message":"Rate limit exceeded","data":null})";
const std::string k_concurrency = R"({"code":429,"message":"Concurrent task limit exceeded","data":null})";
const std::string k_unauthorized = R"({"code":401,"message":"Invalid or missing API Key","data":null})";

std::string parse_error(const std::string& text) {
  auto keys = parse_sim_keys(text);
  REQUIRE_FALSE(keys.ok());
  CHECK(keys.error().kind == ErrorKind::usage);
  return keys.error().message;
}

struct TwoKeys {
  test::FakeClock clock;
  std::unique_ptr<SimCore> core;

  // a: 5 requests a window, 2 tasks, 5.00 USD; b: 3 requests, 1 task, the default credits; c: revoked.
  TwoKeys() {
    SimConfig c;
    c.keys = parse_sim_keys("a:KEY-A:5:2:5,b:KEY-B:3:1,c:KEY-C").value();
    REQUIRE(revoke_sim_keys(c.keys, "c").ok());
    core = std::make_unique<SimCore>(c, clock, "MP4BYTES");
  }
  SimReply submit(const std::string& key) {
    return core->handle({"POST", "/api/v1/generateTask/sora-2-pro", "", "Bearer " + key, k_t2v});
  }
  SimReply status(const std::string& key, const std::string& id) {
    return core->handle({"GET", "/api/v1/statusTask/sora-2-pro", "taskId=" + id, "Bearer " + key, ""});
  }
  Poco::JSON::Object::Ptr stats() {
    Poco::JSON::Parser p;
    return p.parse(core->stats_json()).extract<Poco::JSON::Object::Ptr>();
  }
  Poco::JSON::Object::Ptr key_stats(const std::string& name) { return stats()->getObject("keys")->getObject(name); }
};

}  // namespace

TEST_CASE("sim --keys: bare keys keep the old form, named entries carry their own caps and credits") {
  auto old = parse_sim_keys("k1,k2");
  REQUIRE(old.ok());
  REQUIRE(old->size() == 2);
  CHECK((*old)[1].key == "k2");
  CHECK(sim_key_name(*old, 1) == "key2");
  CHECK_FALSE((*old)[1].rpm.has_value());

  auto named = parse_sim_keys("studio-a:SECRET-A:60:10,intern:SECRET-I:10:3:2.5,plain:SECRET-P");
  REQUIRE(named.ok());
  const SimKey& a = (*named)[0];
  const SimKey& intern = (*named)[1];
  const SimKey& plain = (*named)[2];
  CHECK(a.name == "studio-a");
  CHECK(a.key == "SECRET-A");
  CHECK(a.rpm == 60);
  CHECK(a.concurrency == 10);
  CHECK_FALSE(a.credits.has_value());
  CHECK(intern.credits == doctest::Approx(2.5));
  CHECK(plain.key == "SECRET-P");
  CHECK_FALSE(plain.rpm.has_value());
  CHECK(sim_key_name(*named, 2) == "plain");
}

TEST_CASE("sim --keys: each wrong part is named, by entry and NAME, never showing the key") {
  CHECK(parse_error("") == "--keys names no key");
  CHECK(parse_error("a:K1:60:10,,b:K2") == "--keys entry 2 is empty");
  CHECK(parse_error(":K1:60:10") == "--keys entry 1: NAME must be letters, digits, '-', '_' or '.' (it is empty)");
  CHECK(parse_error("a b:K1:60:10") == "--keys entry 1: NAME must be letters, digits, '-', '_' or '.' (got \"a b\")");
  CHECK(parse_error("a::60:10") == "--keys entry 1 (a): KEY is empty");
  CHECK(parse_error("k0,a:K1:60") ==
        "--keys entry 2 (a): expected NAME:KEY:RPM:CONCURRENT[:CREDITS] or NAME:KEY, got 3 parts");
  CHECK(parse_error("a:K1:60:10:5:6") ==
        "--keys entry 1 (a): expected NAME:KEY:RPM:CONCURRENT[:CREDITS] or NAME:KEY, got 6 parts");
  CHECK(parse_error("a:K1:sixty:10") == "--keys entry 1 (a): RPM must be a whole number from 1 (got \"sixty\")");
  CHECK(parse_error("a:K1:0:10") == "--keys entry 1 (a): RPM must be a whole number from 1 (got \"0\")");
  CHECK(parse_error("a:K1:60:-1") == "--keys entry 1 (a): CONCURRENT must be a whole number from 1 (got \"-1\")");
  CHECK(parse_error("a:K1:60:10:lots") == "--keys entry 1 (a): CREDITS must be a number of USD from 0 (got \"lots\")");
  CHECK(parse_error("a:K1,a:K2") == "--keys entries 1 and 2 are both named a");
  CHECK(parse_error("k1,key1:K2") == "--keys entries 1 and 2 are both named key1");
  CHECK(parse_error("a:SAME,b:SAME") == "--keys entries 1 and 2 (a and b) have the same KEY");
  // Fields in the wrong order put the key where a number goes: a long value is not shown.
  std::string swapped = parse_error("a:60:sk-live-0123456789abcdef:10");
  CHECK(swapped == "--keys entry 1 (a): RPM must be a whole number from 1 (got 24 characters, not shown)");
  CHECK(swapped.find("sk-live") == std::string::npos);
}

TEST_CASE("sim --revoked names keys of --keys, by NAME only") {
  auto keys = parse_sim_keys("a:KA,b:KB").value();
  CHECK(revoke_sim_keys(keys, "b").ok());
  CHECK_FALSE(keys[0].revoked);
  CHECK(keys[1].revoked);
  CHECK(revoke_sim_keys(keys, "zed").error().message == "--revoked: no key named \"zed\" in --keys");
  CHECK(revoke_sim_keys(keys, "KA").error().message == "--revoked takes a key's NAME, not its KEY");
}

TEST_CASE("sim keys: each key is refused at its own concurrency cap, with the API's message") {
  TwoKeys f;
  CHECK(f.submit("KEY-A").status == 200);
  CHECK(f.submit("KEY-A").status == 200);
  SimReply third = f.submit("KEY-A");
  CHECK(third.status == 429);
  CHECK(third.body == k_concurrency);
  CHECK(f.submit("KEY-B").status == 200);  // a's full slots are not b's
  SimReply second_b = f.submit("KEY-B");
  CHECK(second_b.status == 429);
  CHECK(second_b.body == k_concurrency);
  auto a = f.key_stats("a");
  auto b = f.key_stats("b");
  CHECK(a->getValue<int>("tasks_created") == 2);
  CHECK(a->getValue<int>("most_running") == 2);
  CHECK(a->getValue<int>("concurrency_429") == 1);
  CHECK(a->getValue<int>("rate_429") == 0);
  CHECK(b->getValue<int>("tasks_created") == 1);
  CHECK(b->getValue<int>("most_running") == 1);
  CHECK(b->getValue<int>("concurrency_429") == 1);
  // The top level is unchanged: the most over all keys, and every 429 by kind.
  auto s = f.stats();
  CHECK(s->getValue<int>("max_concurrent_tasks") == 2);
  CHECK(s->getObject("rate_limited_by_kind")->getValue<int>("concurrency") == 2);
}

TEST_CASE("sim keys: each key is refused at its own rate window, and the others go on") {
  TwoKeys f;
  for (int i = 0; i < 3; ++i) {
    CHECK(f.status("KEY-B", "none").status == 404);
  }
  SimReply fourth = f.status("KEY-B", "none");
  CHECK(fourth.status == 429);
  CHECK(fourth.body == k_rate);
  for (int i = 0; i < 5; ++i) {
    CHECK(f.status("KEY-A", "none").status == 404);
  }
  CHECK(f.status("KEY-A", "none").body == k_rate);
  f.clock.advance(60'001);  // the window has rolled past all of them
  CHECK(f.status("KEY-B", "none").status == 404);
  auto a = f.key_stats("a");
  auto b = f.key_stats("b");
  CHECK(b->getValue<int>("requests") == 5);
  CHECK(b->getValue<int>("most_in_window") == 4);  // refused requests count in the window too
  CHECK(b->getValue<int>("rate_429") == 1);
  CHECK(a->getValue<int>("requests") == 6);
  CHECK(a->getValue<int>("most_in_window") == 6);
  CHECK(a->getValue<int>("rate_429") == 1);
  CHECK(a->getValue<int>("rpm") == 5);
  CHECK(b->getValue<int>("concurrency") == 1);
  CHECK(f.stats()->getValue<int>("max_requests_in_window") == 6);
}

TEST_CASE("sim keys: a poll with a key that did not create the task is a 404 counted for the polling key") {
  TwoKeys f;
  std::string id = parse_task_id(f.submit("KEY-A").body);
  SimReply foreign = f.status("KEY-B", id);
  CHECK(foreign.status == 404);
  CHECK(foreign.body == R"({"code":404,"message":"Task not found","data":null})");
  CHECK(f.status("KEY-A", id).status == 200);
  CHECK(f.key_stats("b")->getValue<int>("foreign_polls") == 1);
  CHECK(f.key_stats("a")->getValue<int>("foreign_polls") == 0);
  CHECK(f.stats()->getObject("requests")->getObject("statusTask")->getValue<int>("foreign_poll") == 1);
}

TEST_CASE("sim keys: credits are each key's own, a revoked or unknown key gets 401") {
  TwoKeys f;
  auto balance = [&](const std::string& key) {
    return f.core->handle({"GET", "/api/v1/apikeys/current-balance", "", "Bearer " + key, ""});
  };
  CHECK(balance("KEY-A").body == R"({"code":200,"message":"success","data":5.0000})");
  CHECK(balance("KEY-B").body == R"({"code":200,"message":"success","data":1000.0000})");  // --credits
  CHECK(f.submit("KEY-A").status == 200);                                                  // 2.40
  CHECK(f.submit("KEY-A").status == 200);                                                  // 4.80
  f.clock.advance(60 * 60 * 1000);
  SimReply broke = f.submit("KEY-A");
  CHECK(broke.status == 400);
  CHECK(broke.body == R"({"code":400,"message":"Insufficient credits","data":null})");
  CHECK(f.key_stats("a")->getValue<double>("credits_left") == doctest::Approx(0.2));

  SimReply revoked = f.submit("KEY-C");
  CHECK(revoked.status == 401);
  CHECK(revoked.body == k_unauthorized);
  CHECK(f.submit("KEY-NOBODY").body == k_unauthorized);
  auto c = f.key_stats("c");
  CHECK(c->getValue<int>("requests") == 1);
  CHECK(c->getValue<bool>("revoked"));
  CHECK(c->getValue<int>("tasks_created") == 0);
  CHECK(f.core->stats_json().find("KEY-") == std::string::npos);  // names, never keys
}

TEST_CASE("sim keys: POST /__sim/credits takes a key's NAME or its index") {
  TwoKeys f;
  auto top_up = [&](const std::string& query) { return f.core->handle({"POST", "/__sim/credits", query, "", ""}); };
  SimReply by_name = top_up("key=b&add=2.5");
  CHECK(by_name.status == 200);
  CHECK(by_name.body == R"({"key":1,"name":"b","credits":1002.5000})");
  CHECK(top_up("key=0&add=1").body == R"({"key":0,"name":"a","credits":6.0000})");
  CHECK(top_up("add=1").body == R"({"key":0,"name":"a","credits":7.0000})");
  CHECK(top_up("key=zed&add=1").status == 400);
  CHECK(top_up("key=3&add=1").status == 400);
  CHECK(f.key_stats("b")->getValue<double>("credits_left") == doctest::Approx(1002.5));
}

TEST_CASE("sim keys: a --fault-429 burst counts as a rate 429 of the key it was sent to") {
  test::FakeClock clock;
  SimConfig c;
  c.keys = parse_sim_keys("a:KEY-A,b:KEY-B").value();
  c.faults.burst_429 = 1;
  SimCore core(c, clock, "MP4BYTES");
  SimReply r = core.handle({"GET", "/api/v1/apikeys/current-balance", "", "Bearer KEY-B", ""});
  CHECK(r.status == 429);
  CHECK(r.body == k_rate);
  Poco::JSON::Parser p;
  auto keys = p.parse(core.stats_json()).extract<Poco::JSON::Object::Ptr>()->getObject("keys");
  CHECK(keys->getObject("b")->getValue<int>("rate_429") == 1);
  CHECK(keys->getObject("a")->getValue<int>("rate_429") == 0);
}
