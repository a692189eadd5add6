#pragma once
// A whole run in-process: the real Runner, client and downloader against SimCore, on a fake
// clock, with a queue in a temporary folder. Batches finish in milliseconds of real time.
// Free of doctest, so the makespan lab (tests/lab) runs exactly what the tests run; RunHarness
// (run_harness.h) adds the tests' checks.
#include <Poco/JSON/Parser.h>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "api/client.h"
#include "queue/queue.h"
#include "queue/run_store.h"
#include "sched/runner.h"
#include "sim/sim_core.h"
#include "support/delayed_dispatch.h"
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

struct SimRun {
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
  std::string batch = "night";
  RunInbox* inbox = nullptr;  // callback mode: where hints come from (fake_inbox.h)
  std::string callback_url;
  WriteBytes write_bytes = write_all;  // a full disk: a function that answers ENOSPC
  // Requests in flight at once: when set, the run's dispatch answers each request this long after
  // it was sent (DelayedDispatch), and the transport takes no time of its own. `latency_for`
  // (when set) decides per request, e.g. a share of slow answers.
  std::optional<TimeMs> in_flight_latency;
  std::function<TimeMs(const ApiRequest&, Ticket)> latency_for;
  std::size_t max_in_flight = 0;  // after run(): the most requests that were on the wire at once
  // Anything more the run's configuration needs (e.g. a spend cap's prices), set last.
  std::function<void(RunConfig&)> adjust;

  // `latency`: what each API request takes on the fake clock (already time-scaled).
  explicit SimRun(SimConfig c = {}, double time_scale = 0.01, TimeMs latency = 0) : sim_config(std::move(c)) {
    sim_config.time_scale = time_scale;
    settings.time_scale = time_scale;
    sim = std::make_unique<SimCore>(sim_config, clock, k_video);
    sim->set_public_base("http://sim");
    transport = std::make_unique<SimTransport>(*sim, &clock, latency);
    queue = std::move(Queue::open(dir / "q.db", clock).value());
    store = std::make_unique<RunStore>(queue->db(), clock);
  }

  Result<Manifest> parse(const std::string& text) { return parse_manifest(text, {"m.yaml", dir.path()}); }
  Result<EnqueueReport> enqueue_manifest(const Manifest& m) {
    return queue->enqueue(m, dir / "m.yaml", OnChanged::refuse);
  }
  // "" when the manifest was enqueued, else why not.
  std::string try_enqueue(const std::string& text) {
    auto m = parse(text);
    if (!m) {
      return m.error().message;
    }
    auto r = enqueue_manifest(m.value());
    return r ? "" : r.error().message;
  }

  RunSummary run() {
    api = std::make_unique<HttpApiClient>(*transport, "http://sim", key, clock);
    DownloadOptions d;
    d.output_dir = dir / "out";
    d.workers = 0;
    d.backoff_base = 10;
    d.write_bytes = write_bytes;
    Downloader downloader(*transport, clock, d);
    RunConfig rc;
    rc.batch = batch;
    rc.settings = settings;
    rc.inbox = inbox;
    rc.callback_url = callback_url;
    std::unique_ptr<DelayedDispatch> dispatch;
    if (in_flight_latency) {
      dispatch = std::make_unique<DelayedDispatch>(*api, clock, *in_flight_latency);
      if (latency_for) {
        dispatch->latency_for = latency_for;
      }
      rc.dispatch = dispatch.get();
    }
    if (adjust) {
      adjust(rc);
    }
    Runner runner(*store, *api, downloader, clock, observer, rc, stop);
    RunSummary s = runner.run();
    max_in_flight = dispatch ? dispatch->max_in_flight : 1;
    return s;
  }

  Poco::JSON::Object::Ptr stats() {
    Poco::JSON::Parser p;
    return p.parse(sim->stats_json()).extract<Poco::JSON::Object::Ptr>();
  }
  int count(const std::string& where) {
    return queue->db().execAndGet("SELECT count(*) FROM jobs WHERE " + where).getInt();
  }
};

}  // namespace reelq::test
