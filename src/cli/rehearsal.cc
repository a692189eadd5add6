#include "cli/rehearsal.h"

#include <Poco/JSON/Parser.h>
#include <Poco/Net/ServerSocket.h>
#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>

#include "cli/cli.h"
#include "cli/drain.h"
#include "cli/run_key.h"
#include "cli/stop_signals.h"
#include "cost/estimate.h"
#include "cost/render_prior.h"
#include "fetch/folder_claim.h"
#include "queue/run_store.h"
#include "report/report_file.h"
#include "sim/sim_server.h"
#include "util/run_lock.h"
#include "util/text.h"
#include "util/time_text.h"

namespace reelq {

namespace fs = std::filesystem;

namespace {

// A port of 127.0.0.1 free a moment ago (the listener binds it a little later).
std::optional<int> free_loopback_port() {
  try {
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    return socket.address().port();
  } catch (const Poco::Exception&) {
    return std::nullopt;
  }
}

// The rehearsal's folder gets its page and its spreadsheet, from one read of the database.
Status write_rehearsal_reports(Queue& queue, const std::string& batch, const fs::path& dir) {
  auto reports = load_reports(queue.db(), batch, WithEvents::no);
  if (!reports) {
    return reports.error();
  }
  TimeMs now = system_clock().now_ms();
  for (ReportFormat format : {ReportFormat::csv, ReportFormat::html}) {
    if (auto st = write_report_file(*reports, format, now, dir / fmt::format("report.{}", to_string(format))); !st) {
      return st;
    }
  }
  return ok_status();
}

// The folder, its lock, and nothing left of the last rehearsal. The lock comes before anything is
// deleted: a rehearsal of this manifest may be running from it.
Result<RunLock> clear_rehearsal_folder(const fs::path& dir, const std::string& batch) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  auto lock = RunLock::acquire((dir / "rehearsal.db").string());
  if (!lock && lock.error().kind != ErrorKind::busy) {
    return lock.error();  // a lock file planted as a link: not a running rehearsal
  }
  if (!lock) {
    return Error{lock.error().kind, fmt::format("a rehearsal of {} is running already ({}); nothing was changed", batch,
                                                lock.error().message)};
  }
  // The claim file goes with the old database: the new rehearsal queue owns the folder.
  for (const char* stale : {"rehearsal.db", "rehearsal.db-wal", "rehearsal.db-shm", k_claim_file}) {
    fs::remove(dir / stale, ec);
  }
  return lock;
}

// A new rehearsal queue, marked as one (cli/run_guards.h), holding the manifest's batch.
Result<std::unique_ptr<Queue>> open_rehearsal_queue(const std::string& db, const Manifest& manifest,
                                                    const std::string& manifest_path) {
  auto queue = Queue::open(db, system_clock());
  if (!queue) {
    return queue.error();
  }
  if (auto st = RunStore(queue.value()->db(), system_clock()).mark_rehearsal(); !st) {
    return st.error();
  }
  if (auto r = queue.value()->enqueue(manifest, fs::absolute(manifest_path), OnChanged::refuse); !r) {
    return r.error();
  }
  return queue;
}

// The drain against `sim`, then what the simulator saw and the reports.
int rehearse(Queue& queue, SimServer& sim, const std::string& batch, const RunFlags& flags, const fs::path& dir,
             const std::optional<RehearsalKeys>& keys, CommandIo io) {
  install_signal_handlers();
  StopWatchdog watchdog;
  DrainOptions options = keys ? keys->options : DrainOptions{};
  options.mode = DrainMode::rehearsal;
  // The simulator knows what it created: a submit whose answer was lost is settled, not guessed.
  options.sim_created = [&sim] { return sim.core().tasks_by_input(); };
  int rc = drain(queue, batch, flags, keys ? keys->first_secret : "rehearsal-key", io, options);
  if (rc == k_exit_usage || rc == k_exit_internal) {
    return rc;  // refused before anything ran (its reason printed): no figures, no reports to point at
  }
  io.out << sim_stats_line(sim.core().stats_json());
  if (auto st = write_rehearsal_reports(queue, batch, dir); !st) {
    return report_error(io.err, st.error());
  }
  fmt::print(io.out, "  reports: {} and {}\n", (dir / "report.html").string(), (dir / "report.csv").string());
  return rc;
}

// The rehearsal serves local images on loopback by itself; the real run needs to be told how the
// API reaches them, and refuses to start without it. Said now, not found out at the real start.
std::optional<std::string> local_images_note(const Manifest& manifest, const Settings& settings) {
  if (!settings.public_url.empty() || !settings.image_base_url.empty()) {
    return std::nullopt;
  }
  int jobs = 0;
  for (const JobSpec& job : manifest.jobs) {
    jobs += std::any_of(job.images.begin(), job.images.end(), [](const auto& i) { return i.starts_with("file://"); });
  }
  if (jobs == 0) {
    return std::nullopt;
  }
  return fmt::format("note: {} name{} local image files, which this rehearsal serves on 127.0.0.1; the real run "
                     "refuses to start without --public-url URL and --listen HOST:PORT (reelq serves them), or "
                     "settings.image_base_url (they are uploaded already): docs/cli.md",
                     count_of(jobs, "job"), jobs == 1 ? "s" : "");
}

}  // namespace

fs::path rehearsal_folder(const Settings& settings) {
  return settings.output_dir + ".rehearsal";
}

SimConfig rehearsal_sim_config(const Manifest& manifest, const Settings& settings, bool scale_given) {
  SimConfig sim;
  sim.keys = {"rehearsal-key"};
  sim.rpm = settings.rpm;
  sim.concurrency = settings.max_concurrent;
  sim.time_scale = scale_given ? settings.time_scale : rehearsal_time_scale(manifest, settings, 60000);
  sim.credits = 1e9;
  sim.faults.server_error = 0.01;
  sim.faults.drop_before = 0.01;
  sim.faults.truncate = 0.01;
  return sim;
}

RunFlags rehearsal_run_flags(const RunFlags& flags, const std::string& db, const std::string& api_base,
                             double time_scale, const fs::path& dir, std::optional<int> listen_port) {
  RunFlags rehearsal = flags;
  rehearsal.db = db;
  rehearsal.settings.emplace_back("api_base", api_base);
  rehearsal.settings.emplace_back("time_scale", fmt::format("{}", time_scale));
  rehearsal.settings.emplace_back("output_dir", dir.string());
  if (listen_port) {
    rehearsal.settings.emplace_back("listen", fmt::format("127.0.0.1:{}", *listen_port));
    rehearsal.settings.emplace_back("public_url", fmt::format("http://127.0.0.1:{}", *listen_port));
  }
  return rehearsal;
}

std::string sim_stats_line(const std::string& stats_json) {
  try {
    Poco::JSON::Parser p;
    auto s = p.parse(stats_json).extract<Poco::JSON::Object::Ptr>();
    auto keys = s->getObject("keys");
    if (!keys || keys->size() <= 1) {
      return fmt::format(
          "  the simulator saw {}, {} answered 429, at most {} in any window (cap {}), at most {} at once (cap "
          "{}), {} created\n",
          count_of(s->getValue<int>("total_requests"), "request"), s->getValue<int>("rate_limited_sent"),
          s->getValue<int>("max_requests_in_window"), s->getValue<int>("rpm"),
          count_of(s->getValue<int>("max_concurrent_tasks"), "task"), s->getValue<int>("concurrency"),
          count_of(s->getValue<int>("tasks_created"), "task"));
    }
    // A pool: the caps are each key's, so the totals say only what was sent and made.
    std::string line =
        fmt::format("  the simulator saw {}, {} answered 429, {} created; by key:\n",
                    count_of(s->getValue<int>("total_requests"), "request"), s->getValue<int>("rate_limited_sent"),
                    count_of(s->getValue<int>("tasks_created"), "task"));
    for (const auto& name : keys->getNames()) {
      auto k = keys->getObject(name);
      line += fmt::format(
          "    key {}: {} requests, 429s {} rate / {} tasks, at most {} in a window (cap {}), at most {} at once "
          "(cap {}), {} tasks created, {} polls with another key\n",
          name, k->getValue<int>("requests"), k->getValue<int>("rate_429"), k->getValue<int>("concurrency_429"),
          k->getValue<int>("most_in_window"), k->getValue<int>("rpm"), k->getValue<int>("most_running"),
          k->getValue<int>("concurrency"), k->getValue<int>("tasks_created"), k->getValue<int>("foreign_polls"));
    }
    return line;
  } catch (const Poco::Exception& e) {
    return fmt::format("  (the simulator's figures are unreadable: {})\n", e.displayText());
  }
}

Result<std::optional<RehearsalKeys>> rehearsal_keys(const RunFlags& flags, const Settings& settings) {
  const std::string path = keys_file_path(flags.keys_file);
  if (path.empty()) {
    return std::optional<RehearsalKeys>();
  }
  // The file's names and plans only: each key stands in as "rehearsal-key-N", so no key goes
  // anywhere, not even to the simulator.
  auto plans = keys_file_plans(path);
  if (!plans) {
    return plans.error();
  }
  RehearsalKeys out;
  for (size_t k = 0; k < plans->size(); ++k) {
    const DrivenKey& driven = (*plans)[k];
    SimKey sim(fmt::format("rehearsal-key-{}", k + 1));
    sim.name = driven.name;
    sim.rpm = driven.rpm > 0 ? driven.rpm : settings.rpm;
    sim.concurrency = driven.max_concurrent > 0 ? driven.max_concurrent : settings.max_concurrent;
    out.sim.push_back(sim);
    if (k == 0) {
      out.first_secret = sim.key;
      out.options.key = driven;
    } else {
      out.options.more_keys.push_back(PooledKey{sim.key, driven});
    }
  }
  return std::optional<RehearsalKeys>(std::move(out));
}

int cmd_rehearse(const std::string& manifest_path, const RunFlags& flags, CommandIo io) {
  auto manifest = load_manifest(manifest_path);
  if (!manifest) {
    return report_error(io.err, manifest.error());
  }
  auto settings = manifest_settings(*manifest, manifest_path, flags.settings);
  if (!settings) {
    return report_error(io.err, settings.error());
  }
  // Its own folder and database beside the real ones: a rehearsal never touches the real queue.
  fs::path dir = rehearsal_folder(*settings);
  auto lock = clear_rehearsal_folder(dir, manifest->batch);
  if (!lock) {
    return report_error(io.err, lock.error());
  }
  bool scale_given = std::any_of(flags.settings.begin(), flags.settings.end(),
                                 [](const auto& kv) { return kv.first == "time_scale"; });
  SimConfig sim_config = rehearsal_sim_config(*manifest, *settings, scale_given);
  auto keys = rehearsal_keys(flags, *settings);
  if (!keys) {
    return report_error(io.err, keys.error());
  }
  if (*keys) {
    sim_config.keys = (*keys)->sim;
  }
  SimServer sim(sim_config);
  if (auto st = sim.start(); !st) {
    return report_error(io.err, st.error());
  }
  // Callbacks and local images work in a rehearsal too: the listener on loopback.
  RunFlags rehearsal = rehearsal_run_flags(flags, (dir / "rehearsal.db").string(), sim.base_url(),
                                           sim_config.time_scale, dir, free_loopback_port());
  auto queue = open_rehearsal_queue(rehearsal.db, *manifest, manifest_path);
  if (!queue) {
    return report_error(io.err, queue.error());
  }
  fmt::print(io.out,
             "rehearsal of {} against the built-in simulator (time scale {:.3g}: a 3-minute render takes {}); "
             "nothing is sent to apixo\n",
             manifest->batch, sim_config.time_scale,
             format_duration(static_cast<TimeMs>(k_prior_render_ms * sim_config.time_scale)));
  if (flags.hooks.any()) {
    // Said rather than skipped in silence: the night's signal is only for a real night's end.
    io.out << "a rehearsal: --on-finish and --notify not run\n";
  }
  if (auto note = local_images_note(*manifest, *settings)) {
    io.out << *note << "\n";
  }
  return rehearse(*queue.value(), sim, manifest->batch, rehearsal, dir, *keys, io);
}

}  // namespace reelq
