#pragma once
// A whole run in-process: the real Runner, client and downloader against SimCore, on a fake
// clock, with a queue in a temporary folder. Batches finish in milliseconds of real time.
#include <Poco/JSON/Parser.h>
#include <doctest/doctest.h>

#include <atomic>
#include <memory>

#include "api/client.h"
#include "queue/queue.h"
#include "queue/run_store.h"
#include "sched/runner.h"
#include "sim/sim_core.h"
#include "support/fakes.h"
#include "support/recording_observer.h"
#include "support/sim_transport.h"

namespace reelq::test {

// What the simulator serves for every result: an 'ftyp' box, so the downloader's MP4 check passes.
inline const std::string k_video(
    "\0\0\0\x18"
    "ftypisom"
    "fake-video-bytes",
    28);

struct RunHarness {
  TempDir dir;
  FakeClock clock;
  SimConfig sim_config;
  std::unique_ptr<SimCore> sim;
  std::unique_ptr<SimTransport> transport;
  std::unique_ptr<HttpApiClient> api;
  std::unique_ptr<Queue> queue;
  std::unique_ptr<RunStore> store;
  RecordingObserver observer;
  std::atomic<int> stop{0};
  Settings settings;
  std::string key = "sim-key";

  explicit RunHarness(SimConfig c = {}) : sim_config(std::move(c)) {
    sim_config.time_scale = 0.01;
    settings.time_scale = 0.01;
    sim = std::make_unique<SimCore>(sim_config, clock, k_video);
    sim->set_public_base("http://sim");
    transport = std::make_unique<SimTransport>(*sim);
    queue = std::move(Queue::open(dir / "q.db", clock).value());
    store = std::make_unique<RunStore>(queue->db(), clock);
  }

  void enqueue(const std::string& text) {
    auto m = parse_manifest(text, {"m.yaml", dir.path()});
    INFO((m ? "" : m.error().message));
    REQUIRE(m.ok());
    REQUIRE(queue->enqueue(m.value(), dir / "m.yaml", OnChanged::refuse).ok());
  }

  RunSummary run() {
    api = std::make_unique<HttpApiClient>(*transport, "http://sim", key, clock);
    DownloadOptions d;
    d.output_dir = dir / "out";
    d.workers = 0;
    d.backoff_base = 10;
    Downloader downloader(*transport, clock, d);
    RunConfig rc;
    rc.batch = "night";
    rc.settings = settings;
    Runner runner(*store, *api, downloader, clock, observer, rc, stop);
    return runner.run();
  }

  Poco::JSON::Object::Ptr stats() {
    Poco::JSON::Parser p;
    return p.parse(sim->stats_json()).extract<Poco::JSON::Object::Ptr>();
  }
  int count(const std::string& where) {
    return queue->db().execAndGet("SELECT count(*) FROM jobs WHERE " + where).getInt();
  }
  // The caps and the no-duplicate promise, as the simulator saw them.
  void check_caps_and_no_duplicates(int max_per_input = 1) {
    auto s = stats();
    CHECK(s->getValue<int>("max_requests_in_window") <= settings.rpm);
    CHECK(s->getValue<int>("max_concurrent_tasks") <= settings.max_concurrent);
    CHECK(s->getValue<int>("rate_limited_sent") == 0);
    CHECK(s->getValue<int>("max_tasks_per_input") <= max_per_input);
  }
};

}  // namespace reelq::test
