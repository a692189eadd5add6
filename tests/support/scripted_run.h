#pragma once
// A runner over a scripted transport (fake_transport.h), at time scale 1, for exact timing
// checks: the manifest, the settings and a stop condition are the test's.
#include <doctest/doctest.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <string>

#include "api/client.h"
#include "queue/queue.h"
#include "queue/run_store.h"
#include "sched/runner.h"
#include "support/fake_transport.h"
#include "support/fakes.h"
#include "support/recording_observer.h"

namespace reelq::test {

struct ScriptedRun {
  TempDir dir;
  FakeClock clock;
  FakeTransport transport;
  std::unique_ptr<Queue> queue;
  std::unique_ptr<RunStore> store;
  RecordingObserver observer;
  std::atomic<int> stop{0};
  Settings settings;
  std::string batch = "night";

  explicit ScriptedRun(const std::string& manifest = "batch: night\njobs:\n  - id: one\n    prompt: p\n") {
    transport.clock = &clock;
    queue = std::move(Queue::open(dir / "q.db", clock).value());
    store = std::make_unique<RunStore>(queue->db(), clock);
    enqueue(manifest);
  }
  void enqueue(const std::string& manifest) {
    auto m = parse_manifest(manifest, {"m.yaml", "."});
    REQUIRE(m.ok());
    REQUIRE(queue->enqueue(m.value(), "/m.yaml", OnChanged::refuse).ok());
  }
  // A submit creating `task_id`, a status answer of success with `cost_time`, and its video.
  void script_success(const std::string& task_id, const std::string& cost_time = "170000") {
    transport.answer(200, R"({"code":200,"message":"success","data":{"taskId":")" + task_id + R"("}})");
    transport.answer(200, R"({"code":200,"message":"success","data":{"taskId":")" + task_id +
                              R"(","state":"success","resultJson":"{\"resultUrls\":[\"https://cdn.test/)" + task_id +
                              R"(.mp4\"]}","costTime":)" + cost_time + "}}");
    std::string video(
        "\0\0\0\x18"
        "ftypisom"
        "fake-video-bytes",
        28);
    transport.answer(200, video, {{"Content-Length", std::to_string(video.size())}});
  }
  // Stops the run once the fake clock is `limit` ms past the run's start: a test of a stall ends
  // with a failed check, not a hang.
  void stop_after(TimeMs limit) {
    TimeMs from = clock.steady_ms();
    observer.on_progress = [this, from, limit](const Progress&) {
      if (clock.steady_ms() - from > limit) {
        stop = 1;
      }
    };
  }
  // When each request whose URL contains `fragment` was sent, on the fake clock's monotonic reading.
  std::vector<TimeMs> times_of(const std::string& fragment) const {
    std::vector<TimeMs> out;
    for (size_t i = 0; i < transport.requests.size() && i < transport.steady_times.size(); ++i) {
      if (transport.requests[i].url.find(fragment) != std::string::npos) {
        out.push_back(transport.steady_times[i]);
      }
    }
    return out;
  }
  int count(const std::string& where) {
    return queue->db().execAndGet("SELECT count(*) FROM jobs WHERE " + where).getInt();
  }
  RunSummary run() {
    HttpApiClient api(transport, "https://api.test", "sk-test", clock);
    DownloadOptions d;
    d.output_dir = dir / "out";
    d.workers = 0;
    Downloader downloader(transport, clock, d);
    RunConfig rc;
    rc.batch = batch;
    rc.settings = settings;
    Runner runner(*store, api, downloader, clock, observer, rc, stop);
    return runner.run();
  }
};

}  // namespace reelq::test
