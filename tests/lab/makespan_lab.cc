// makespan-lab: the real Runner against the simulator's core on a fake clock, over many seeds.
//
// scripts/bench-makespan measures one seed in about two minutes of real time, through real HTTP.
// That is the figure the README quotes, but one seed is one draw of 120 render times: a policy
// change that wins on it may lose on the next. This tool runs the same batch (120 jobs, 4/8/12 s,
// four sizes) in-process, where a whole batch takes a fraction of a second, so a scheduling change
// can be judged on the spread over a hundred seeds before it is measured for real.
//
// Fidelity: the wiring is the unit tests' own (tests/support/sim_run.h), so everything is the
// shipped code (planner, render model, limiter, client, sim); every API request advances the
// clock by --latency-ms (unscaled), standing in for the round trip. Options: build/makespan-lab --help.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include "support/sim_run.h"

namespace reelq {
namespace {

struct LabOptions {
  int seeds = 100;
  int first_seed = 1;
  int jobs = 120;
  int concurrency = 10;
  int rpm = 60;
  double time_scale = 0.05;
  double latency_ms = 20;    // per request, unscaled
  double poll_interval = 0;  // 0 = the default setting
  double spread = 0.12;      // the simulator's render-time spread (sd of the log)
  bool in_flight = false;    // requests in flight at once (the run's dispatch), not one at a time
  double slow_rate = 0;      // a share of answers that take --slow-seconds instead
  double slow_seconds = 30;  // unscaled
  bool verbose = false;
};

std::string bench_manifest(int jobs) {
  const char* sizes[] = {"1280*720", "720*1280", "1792*1024", "1024*1792"};
  std::string m = "batch: bench\njobs:\n";
  for (int i = 0; i < jobs; ++i) {
    m += fmt::format("  - id: j{:04d}\n    prompt: \"benchmark scene {}\"\n    duration: {}\n    size: {}\n", i, i,
                     (i % 3 == 0   ? 4
                      : i % 3 == 1 ? 8
                                   : 12),
                     sizes[(i / 3) % 4]);
  }
  return m;
}

// The makespan of the zero-latency list schedule of these render times, in this order: each job
// starts the moment a slot frees. What no scheduler of these jobs in this order can beat.
double list_schedule(const std::vector<double>& costs, int slots) {
  std::vector<double> free_at(static_cast<size_t>(slots), 0.0);
  for (double c : costs) {
    auto slot = std::min_element(free_at.begin(), free_at.end());
    *slot += c;
  }
  return *std::max_element(free_at.begin(), free_at.end());
}

struct SeedResult {
  double of_list = 0;  // the list schedule's makespan / ours (1: nothing lost to scheduling)
  double ratio = 0;    // makespan / (sum T_i / C)
  double requests_per_job = 0;
  double detect_s = 0;  // mean time from a task's completion to reelq seeing it, unscaled
  double tail_pct = 0;  // idle slot time after the last submit, % of C x makespan
  int rate_limited = 0;
  double sim_cpu_s = 0;  // CPU the simulator spent answering (not reelq's)
};

SeedResult run_seed(const LabOptions& o, int seed) {
  SimConfig sc;
  sc.seed = static_cast<std::uint64_t>(seed);
  sc.rpm = o.rpm;
  sc.concurrency = o.concurrency;
  sc.credits = 1e9;
  sc.render_spread = o.spread;
  const TimeMs latency = static_cast<TimeMs>(o.latency_ms * o.time_scale);
  test::SimRun lab(sc, o.time_scale, o.in_flight ? 0 : latency);
  if (o.in_flight) {
    // The same latencies, answered while the loop goes on; a seeded share of them slow.
    lab.in_flight_latency = latency;
    const TimeMs slow = static_cast<TimeMs>(o.slow_seconds * 1000 * o.time_scale);
    const double rate = o.slow_rate;
    const auto seed_mix = static_cast<std::uint64_t>(seed) * 0x9E3779B97F4A7C15ull;
    lab.latency_for = [=](const ApiRequest&, Ticket t) {
      std::uint64_t x = (t + seed_mix) * 0xBF58476D1CE4E5B9ull;
      x ^= x >> 31;
      return static_cast<double>(x % 10000) < rate * 10000 ? slow : latency;
    };
  } else if (o.slow_rate > 0) {
    throw std::runtime_error("--slow-rate needs --in-flight (the one-at-a-time transport has one latency)");
  }
  if (std::string error = lab.try_enqueue(bench_manifest(o.jobs)); !error.empty()) {
    throw std::runtime_error("could not enqueue the lab manifest: " + error);
  }
  lab.batch = "bench";
  // The fake clock packs a night's commits into seconds, where a real run makes about one a second:
  // without this the lab would measure the disk's fsyncs, not the scheduler.
  lab.queue->db().exec("PRAGMA synchronous = OFF");
  // For the same reason the lab holds the database's lock for the whole run: a real run takes and
  // drops its file locks once a commit, about once a second, where the lab would measure a dozen
  // fcntl calls per simulated answer.
  lab.queue->db().exec("PRAGMA locking_mode = EXCLUSIVE");
  lab.settings.rpm = o.rpm;
  lab.settings.max_concurrent = o.concurrency;
  if (o.poll_interval > 0) {
    lab.settings.poll_interval = o.poll_interval;
  }
  RunSummary summary = lab.run();
  if (summary.end != RunEnd::finished || summary.succeeded != o.jobs) {
    throw std::runtime_error(fmt::format("seed {}: run ended with {} succeeded", seed, summary.succeeded));
  }

  auto& db = lab.queue->db();
  double sum_cost = db.execAndGet("SELECT sum(cost_time_ms) FROM jobs").getDouble();
  double first = db.execAndGet("SELECT min(api_create_time) FROM jobs").getDouble();
  double last = db.execAndGet("SELECT max(api_complete_time) FROM jobs").getDouble();
  double last_submit = db.execAndGet("SELECT max(api_create_time) FROM jobs").getDouble();
  double tail_busy = db.execAndGet(fmt::format("SELECT sum(api_complete_time - max(api_create_time, {})) FROM jobs "
                                               "WHERE api_complete_time > {}",
                                               last_submit, last_submit))
                         .getDouble();
  double detect = db.execAndGet(
                        "SELECT avg(seen - done) FROM (SELECT min(e.at) AS seen, j.api_complete_time AS done "
                        "FROM events e JOIN jobs j ON e.job = j.id WHERE e.endpoint = 'statusTask' AND "
                        "e.message = 'success' GROUP BY j.id)")
                      .getDouble();
  if (o.verbose && o.seeds == 1) {
    // One line per task, in submit order, times in unscaled seconds from the first submit.
    SQLite::Statement q(db,
                        "SELECT j.job_id, j.cost_time_ms, j.api_create_time, j.api_complete_time, "
                        "min(e.at) - j.api_complete_time, (SELECT count(*) FROM events e2 WHERE e2.job = j.id AND "
                        "e2.endpoint = 'statusTask') FROM events e JOIN jobs j ON e.job = j.id WHERE e.endpoint = "
                        "'statusTask' AND e.message = 'success' GROUP BY j.id ORDER BY j.api_create_time");
    auto s = [&](double ms) { return ms / 1000.0 / o.time_scale; };
    while (q.executeStep()) {
      fmt::print("{}  render {:6.1f}  submitted {:7.1f}  done {:7.1f}  seen after {:5.1f}  polls {}\n",
                 q.getColumn(0).getString(), s(q.getColumn(1).getDouble()), s(q.getColumn(2).getDouble() - first),
                 s(q.getColumn(3).getDouble() - first), s(q.getColumn(4).getDouble()), q.getColumn(5).getInt());
    }
  }
  std::vector<double> costs;
  SQLite::Statement in_order(db, "SELECT cost_time_ms FROM jobs ORDER BY api_create_time, id");
  while (in_order.executeStep()) {
    costs.push_back(in_order.getColumn(0).getDouble());
  }
  auto stats = lab.stats();
  SeedResult r;
  double makespan = last - first;
  r.of_list = list_schedule(costs, o.concurrency) / makespan;
  r.ratio = makespan / (sum_cost / o.concurrency);
  r.requests_per_job = stats->getValue<double>("total_requests") / o.jobs;
  r.detect_s = detect / 1000.0 / o.time_scale;
  r.tail_pct = 100.0 * ((last - last_submit) * o.concurrency - tail_busy) / (makespan * o.concurrency);
  r.rate_limited = stats->getValue<int>("rate_limited_sent") > 0 ? 1 : 0;
  r.sim_cpu_s = static_cast<double>(lab.transport->sim_cpu_ns.load()) / 1e9;
  return r;
}

double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(q * static_cast<double>(v.size() - 1) + 0.5)];
}

int lab_main(int argc, char** argv) {
  LabOptions o;
  CLI::App app{"makespan-lab: the shipped scheduler against the simulator on a fake clock, over many seeds"};
  app.add_option("--seeds", o.seeds, "How many seeds")->check(CLI::Range(1, 1000000));
  app.add_option("--first-seed", o.first_seed, "The first seed");
  app.add_option("--jobs", o.jobs, "Jobs in the batch (4/8/12 s, four sizes)")->check(CLI::Range(1, 1000000));
  app.add_option("--latency-ms", o.latency_ms, "What each API request takes, unscaled ms")->check(CLI::Range(0.0, 1e6));
  app.add_option("--rpm", o.rpm, "Requests per minute, for reelq and the simulator")->check(CLI::Range(1, 1000000));
  app.add_option("--concurrency", o.concurrency, "Slots, for reelq and the simulator")->check(CLI::Range(1, 1000000));
  app.add_option("--poll-interval", o.poll_interval, "reelq's poll_interval, s (default: the setting's)");
  app.add_option("--spread", o.spread, "The simulator's render-time spread (sd of the log)")
      ->check(CLI::Range(0.0, 1e6));
  app.add_flag("--in-flight", o.in_flight, "Requests in flight at once (answers arrive --latency-ms after their send)");
  app.add_option("--slow-rate", o.slow_rate, "With --in-flight: the share of answers that take --slow-seconds")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--slow-seconds", o.slow_seconds, "What a slow answer takes, unscaled s")->check(CLI::Range(0.0, 1e5));
  app.add_flag("--verbose", o.verbose, "A line per seed; with --seeds 1, a line per task");
  CLI11_PARSE(app, argc, argv);
  // The queue and the downloaded files go to tmpfs when the machine has one and TMPDIR does not
  // say otherwise: the lab measures reelq, not the disk's file creation (on this machine's ext4 a
  // create costs ~0.6 ms, more than the scheduler's whole turn).
  const bool on_tmpfs = std::getenv("TMPDIR") == nullptr && std::filesystem::is_directory("/dev/shm");
  if (on_tmpfs) {
    setenv("TMPDIR", "/dev/shm", 1);
  }

  std::vector<double> of_list, ratio, reqs, detect, tail;
  std::clock_t cpu_start = std::clock();
  int limited = 0;
  double sim_cpu_s = 0;
  for (int s = o.first_seed; s < o.first_seed + o.seeds; ++s) {
    SeedResult r = run_seed(o, s);
    of_list.push_back(r.of_list);
    ratio.push_back(r.ratio);
    reqs.push_back(r.requests_per_job);
    detect.push_back(r.detect_s);
    tail.push_back(r.tail_pct);
    limited += r.rate_limited;
    sim_cpu_s += r.sim_cpu_s;
    if (o.verbose) {
      fmt::print("seed {:4d}  makespan/bound {:.3f}  requests/job {:5.2f}  seen after {:.1f} s  tail idle {:.1f}%\n", s,
                 r.ratio, r.requests_per_job, r.detect_s, r.tail_pct);
    }
  }
  auto row = [&](const char* name, const std::vector<double>& v, const char* f) {
    fmt::print("{:<16} mean {:>7}  p50 {:>7}  p90 {:>7}  max {:>7}\n", name,
               fmt::format(fmt::runtime(f),
                           [&] {
                             double m = 0;
                             for (double x : v) m += x;
                             return m / static_cast<double>(v.size());
                           }()),
               fmt::format(fmt::runtime(f), quantile(v, 0.5)), fmt::format(fmt::runtime(f), quantile(v, 0.9)),
               fmt::format(fmt::runtime(f), quantile(v, 1.0)));
  };
  const double cpu_s = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  fmt::print("{} seeds from {}, {} jobs, {} slots, {} rpm, {} ms per request{}{}, render spread {}\n", o.seeds,
             o.first_seed, o.jobs, o.concurrency, o.rpm, o.latency_ms, o.in_flight ? " in flight" : " one at a time",
             o.slow_rate > 0 ? fmt::format(", {:.0f}% at {} s", o.slow_rate * 100, o.slow_seconds) : "", o.spread);
  row("of list sched.", of_list, "{:.4f}");
  row("makespan/bound", ratio, "{:.3f}");
  row("requests/job", reqs, "{:.2f}");
  row("seen after (s)", detect, "{:.1f}");
  row("tail idle (%)", tail, "{:.1f}");
  fmt::print("seeds with a 429: {}; seeds over 1.05: {}\n", limited,
             std::count_if(ratio.begin(), ratio.end(), [](double x) { return x > 1.05; }));
  // The whole process: reelq's loop, planner, queue writes and downloads, and the simulator; then
  // reelq's part (everything but the simulator answering), which is what a real run would spend.
  const double reelq_s = cpu_s - sim_cpu_s;
  fmt::print("CPU {:.2f} s in all (queue fsyncs and locks off, files in {}), of which the simulator {:.2f} s\n", cpu_s,
             std::filesystem::temp_directory_path().string(), sim_cpu_s);
  fmt::print("reelq's CPU {:.2f} s, {:.2f} ms per job (enqueue, loop, planner, queue writes, downloads)\n", reelq_s,
             1000 * reelq_s / (o.jobs * o.seeds));
  return 0;
}

}  // namespace
}  // namespace reelq

int main(int argc, char** argv) {
  try {
    return reelq::lab_main(argc, argv);
  } catch (const std::exception& e) {
    fmt::print(stderr, "makespan-lab: {}\n", e.what());
    return 2;
  }
}
