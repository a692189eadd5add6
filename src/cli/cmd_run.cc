// `reelq run MANIFEST` and `reelq resume`: drain batches through the API, within its caps.
#include <Poco/JSON/Parser.h>
#include <Poco/Net/ServerSocket.h>
#include <fmt/format.h>
#include <fmt/ostream.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <ostream>
#include <thread>

#include "api/poco_transport.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/listen_setup.h"
#include "cli/progress.h"
#include "queue/run_store.h"
#include "report/estimate.h"
#include "report/report_file.h"
#include "sched/balance_check.h"
#include "sched/render_model.h"
#include "sched/runner.h"
#include "sim/sim_server.h"
#include "util/run_lock.h"

namespace reelq {

namespace fs = std::filesystem;

namespace {

std::atomic<int> g_stop_requests{0};

// First SIGINT/SIGTERM: stop submitting and wind down (the runner checks every 50 ms). Second:
// leave at once. Both are safe: every state change is already committed.
void on_stop_signal(int) {
  if (g_stop_requests.fetch_add(1) >= 1) {
    ::_exit(k_exit_unfinished);
  }
}

// Guarantees the 2 s promise even when a transfer or an answer is slow to come back.
class StopWatchdog {
 public:
  StopWatchdog() : m_thread([this] { watch(); }) {}
  ~StopWatchdog() {
    m_done = true;
    m_thread.join();
  }

 private:
  void watch() {
    while (!m_done && g_stop_requests.load() == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    for (int i = 0; i < 90 && !m_done; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!m_done) {
      ::_exit(k_exit_unfinished);
    }
  }
  std::atomic<bool> m_done{false};
  std::thread m_thread;
};

void install_signal_handlers() {
  struct sigaction sa = {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

// The batch's settings, with the limits of this build checked.
Result<Settings> resolve_run_settings(const BatchInfo& batch, const RunFlags& flags) {
  SettingsLayers layers;
  layers.batch = batch.name;
  layers.manifest_path = batch.manifest_path;
  layers.manifest_settings_json = batch.settings_json;
  layers.stored_output_dir = batch.output_dir;
  layers.flags = flags.settings;
  layers.cwd = fs::current_path();
  return resolve_settings(layers);
}

int exit_code_of(const RunSummary& s) {
  switch (s.end) {
    case RunEnd::finished:
      return s.failed > 0 ? k_exit_jobs_failed : k_exit_ok;
    case RunEnd::key_refused:
      return k_exit_key_refused;
    case RunEnd::interrupted:
    case RunEnd::credits_exhausted:
    case RunEnd::storage_failed:
      return k_exit_unfinished;
  }
  return k_exit_internal;
}

void print_summary(const std::string& batch, const RunSummary& s, const Settings& settings, const std::string& db,
                   std::ostream& out) {
  fmt::print(out, "batch {}: {} succeeded, {} failed", batch, s.succeeded, s.failed);
  if (s.cancelled) {
    fmt::print(out, ", {} cancelled", s.cancelled);
  }
  if (s.left) {
    fmt::print(out, ", {} left", s.left);
  }
  fmt::print(out, " in {}\n", format_duration(s.elapsed_ms));
  if (!s.failures_by_code.empty()) {
    std::string parts;
    for (const auto& [code, n] : s.failures_by_code) {
      parts += fmt::format("{}{} {}", parts.empty() ? "" : ", ", code, n);
    }
    fmt::print(out, "  failures: {}\n", parts);
  }
  if (s.succeeded) {
    fmt::print(out, "  files: {}\n", settings.output_dir);
  }
  std::string resume = fmt::format("reelq resume --db {} --batch {}", db, batch);
  switch (s.end) {
    case RunEnd::finished:
      break;
    case RunEnd::interrupted:
      fmt::print(out, "  stopped with {} jobs left; tasks already at the API keep rendering. Continue with: {}\n",
                 s.left, resume);
      break;
    case RunEnd::credits_exhausted:
      fmt::print(out, "  credits exhausted: {} jobs still queued. Top up your apixo balance, then: {}\n", s.left,
                 resume);
      break;
    case RunEnd::key_refused:
      fmt::print(out, "  {}\n  nothing was marked failed; fix the key (APIXO_API_KEY or --api-key-file), then: {}\n",
                 s.message, resume);
      break;
    case RunEnd::storage_failed:
      fmt::print(out, "  the queue database could not be written ({}); fix that, then: {}\n", s.message, resume);
      break;
  }
}

// Refuses to start a batch the balance cannot pay for (unless --allow-partial). Returns an exit
// code to stop with, or -1 to go on.
int check_funds(RunStore& store, ApiClient& api, const std::string& batch, const std::string& model,
                const Settings& settings, const RunFlags& flags, CommandIo io) {
  auto prices = load_prices(prices_path(flags.prices));
  if (!prices) {
    return report_error(io.err, prices.error());
  }
  BalanceVerdict v = check_balance(store, api, system_clock(), batch, model, *prices, settings);
  switch (v.kind) {
    case BalanceKind::covered:
      if (v.renders > 0 && flags.style != OutputStyle::quiet && flags.style != OutputStyle::json) {
        fmt::print(io.out, "balance ${:.2f} covers the {} renders left (estimated ${:.2f})\n", v.balance, v.renders,
                   v.cost);
      }
      return -1;
    case BalanceKind::unknown:
      fmt::print(io.err, "reelq: warning: {}; starting anyway (a run stops submitting when credits run out)\n",
                 v.message);
      return -1;
    case BalanceKind::key_refused:
      fmt::print(io.err, "reelq: {}; nothing was submitted. Fix the key (APIXO_API_KEY or --api-key-file).\n",
                 v.message);
      return k_exit_key_refused;
    case BalanceKind::short_funds:
      break;
  }
  std::string what = fmt::format("balance ${:.2f} covers {} of the {} renders left (estimated ${:.2f}, prices: {})",
                                 v.balance, v.affordable, v.renders, v.cost, prices->source);
  if (flags.allow_partial) {
    fmt::print(io.err, "reelq: warning: {}; --allow-partial: starting, and stopping when credits run out\n", what);
    return -1;
  }
  fmt::print(io.err,
             "reelq: {}. Nothing was submitted. Top up, or pass --allow-partial to render what it covers "
             "(`reelq resume` continues later).\n",
             what);
  return k_exit_unfinished;
}

// Drains one batch; the lock and the key are the caller's.
int drain(Queue& queue, const std::string& batch_name, const RunFlags& flags, const std::string& key, CommandIo io) {
  RunStore store(queue.db(), system_clock());
  auto batch = store.batch(batch_name);
  if (!batch) {
    io.err << "reelq: " << batch.error().message << "\n";
    return k_exit_usage;
  }
  auto settings = resolve_run_settings(*batch, flags);
  if (!settings) {
    io.err << "reelq: " << settings.error().message << "\n";
    return k_exit_usage;
  }
  std::error_code ec;
  fs::create_directories(settings->output_dir, ec);
  if (ec) {
    io.err << fmt::format("reelq: cannot create the output folder {}: {}\n", settings->output_dir, ec.message());
    return k_exit_usage;
  }
  if (auto st = store.set_output_dir(batch_name, settings->output_dir); !st) {
    io.err << "reelq: " << st.error().message << "\n";
    return k_exit_internal;
  }
  TransportOptions topts;
  topts.user_agent = std::string("reelq/") + REELQ_VERSION;
  topts.ca_file = flags.ca_file;
  auto transport = make_poco_transport(topts);
  auto cdn = make_poco_transport(topts);  // downloads get their own connections
  HttpApiClient api(*transport, settings->api_base, key, system_clock());
  DownloadOptions dopts;
  dopts.output_dir = settings->output_dir;
  dopts.workers = settings->download_concurrency;
  dopts.max_attempts = settings->max_attempts;
  dopts.backoff_base = static_cast<TimeMs>(1000 * settings->time_scale);
  dopts.backoff_cap = static_cast<TimeMs>(60000 * settings->time_scale);
  Downloader downloader(*cdn, system_clock(), dopts);
  auto listen = set_up_listen(queue.db(), store, *batch, *settings, *cdn, io.err);
  if (!listen) {
    return report_error(io.err, listen.error());
  }
  if (int rc = check_funds(store, api, batch_name, batch->model, *settings, flags, io); rc >= 0) {
    return rc;
  }
  ConsoleObserver observer(io.out, flags.style, system_clock());
  RunConfig config;
  config.batch = batch_name;
  config.model = batch->model;
  config.settings = *settings;
  config.seed = static_cast<std::uint64_t>(::getpid());
  config.inbox = listen->inbox.get();
  config.callback_url = listen->callback_url;
  config.image_urls = listen->image_urls;
  Runner runner(store, api, downloader, system_clock(), observer, config, g_stop_requests);
  if (flags.style != OutputStyle::quiet && flags.style != OutputStyle::json) {
    fmt::print(
        io.out, "batch {}: draining with {} requests per {} and {} tasks at once; files to {}\n", batch_name,
        settings->rpm,
        settings->time_scale == 1 ? "minute" : format_duration(static_cast<TimeMs>(60000 * settings->time_scale)),
        settings->max_concurrent, settings->output_dir);
  }
  if (!listen->summary.empty() && flags.style != OutputStyle::quiet && flags.style != OutputStyle::json) {
    fmt::print(io.out, "{}\n", listen->summary);
  }
  RunSummary summary = runner.run();
  observer.finish();
  print_summary(batch_name, summary, *settings, flags.db, io.out);
  return exit_code_of(summary);
}

struct Prepared {
  std::unique_ptr<Queue> queue;
  std::optional<RunLock> lock;
  std::string key;
};

// The key, the database and its lock: what both run and resume need before anything else.
std::optional<Prepared> prepare(const RunFlags& flags, CommandIo io, int& rc) {
  auto key = load_api_key(flags.api_key_file);
  if (!key) {
    io.err << "reelq: " << key.error().message << "\n";
    rc = k_exit_usage;
    return std::nullopt;
  }
  auto lock = RunLock::acquire(flags.db);
  if (!lock) {
    io.err << "reelq: " << lock.error().message << "\n";
    rc = k_exit_usage;
    return std::nullopt;
  }
  auto queue = Queue::open(flags.db, system_clock());
  if (!queue) {
    io.err << "reelq: " << queue.error().message << "\n";
    rc = exit_code_for(queue.error());
    return std::nullopt;
  }
  Prepared p;
  p.queue = std::move(queue.value());
  p.lock.emplace(std::move(lock.value()));
  p.key = std::move(key.value());
  return p;
}

}  // namespace

int cmd_run(const std::string& manifest_path, const RunFlags& flags, CommandIo io) {
  auto manifest = load_manifest(manifest_path);
  if (!manifest) {
    io.err << manifest.error().message;
    return k_exit_usage;
  }
  int rc = k_exit_ok;
  auto prepared = prepare(flags, io, rc);
  if (!prepared) {
    return rc;
  }
  auto report = prepared->queue->enqueue(*manifest, fs::absolute(manifest_path),
                                         flags.replace_changed ? OnChanged::replace : OnChanged::refuse);
  if (!report) {
    io.err << "reelq: " << report.error().message;
    return exit_code_for(report.error());
  }
  install_signal_handlers();
  StopWatchdog watchdog;
  return drain(*prepared->queue, manifest->batch, flags, prepared->key, io);
}

int cmd_resume(const std::optional<std::string>& batch, const RunFlags& flags, CommandIo io) {
  if (!fs::exists(flags.db)) {
    io.err << fmt::format("reelq: no queue database at {} (pass --db)\n", flags.db);
    return k_exit_usage;
  }
  int rc = k_exit_ok;
  auto prepared = prepare(flags, io, rc);
  if (!prepared) {
    return rc;
  }
  std::vector<std::string> batches;
  if (batch) {
    batches.push_back(*batch);
  } else {
    auto summaries = prepared->queue->summaries(std::nullopt);
    if (!summaries) {
      io.err << "reelq: " << summaries.error().message << "\n";
      return k_exit_internal;
    }
    for (const auto& s : *summaries) {
      int open = s.total() - s.counts.at(JobState::succeeded) - s.counts.at(JobState::failed) -
                 s.counts.at(JobState::cancelled);
      if (open > 0) {
        batches.push_back(s.name);
      }
    }
    if (batches.empty()) {
      io.out << "nothing to resume: every batch in " << flags.db << " is finished\n";
      return k_exit_ok;
    }
  }
  install_signal_handlers();
  StopWatchdog watchdog;
  int worst = k_exit_ok;
  for (const auto& name : batches) {
    int code = drain(*prepared->queue, name, flags, prepared->key, io);
    worst = std::max(worst, code);
    if (code == k_exit_unfinished || code == k_exit_key_refused || g_stop_requests.load() > 0) {
      return code;
    }
  }
  return worst;
}

namespace {

void print_sim_stats(SimServer& sim, std::ostream& out) {
  try {
    Poco::JSON::Parser p;
    auto s = p.parse(sim.core().stats_json()).extract<Poco::JSON::Object::Ptr>();
    fmt::print(out,
               "  the simulator saw {} requests, {} answered 429, at most {} in any window (cap {}), at most {} "
               "tasks at once (cap {}), {} tasks created\n",
               s->getValue<int>("total_requests"), s->getValue<int>("rate_limited_sent"),
               s->getValue<int>("max_requests_in_window"), s->getValue<int>("rpm"),
               s->getValue<int>("max_concurrent_tasks"), s->getValue<int>("concurrency"),
               s->getValue<int>("tasks_created"));
  } catch (const Poco::Exception& e) {
    fmt::print(out, "  (the simulator's figures are unreadable: {})\n", e.displayText());
  }
}

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

}  // namespace

int cmd_rehearse(const std::string& manifest_path, const RunFlags& flags, CommandIo io) {
  auto manifest = load_manifest(manifest_path);
  if (!manifest) {
    return report_error(io.err, manifest.error());
  }
  auto settings = manifest_settings(*manifest, manifest_path, flags.settings);
  if (!settings) {
    return report_error(io.err, settings.error());
  }
  // Its own folder and database beside the real ones: a rehearsal never touches the real queue
  // and its placeholder videos never land among real renders.
  fs::path dir = settings->output_dir + ".rehearsal";
  std::error_code ec;
  fs::create_directories(dir, ec);
  for (const char* stale : {"rehearsal.db", "rehearsal.db-wal", "rehearsal.db-shm"}) {
    fs::remove(dir / stale, ec);
  }
  SimConfig sim_config;
  sim_config.keys = {"rehearsal-key"};
  sim_config.rpm = settings->rpm;
  sim_config.concurrency = settings->max_concurrent;
  bool scale_given = std::any_of(flags.settings.begin(), flags.settings.end(),
                                 [](const auto& kv) { return kv.first == "time_scale"; });
  sim_config.time_scale = scale_given ? settings->time_scale : rehearsal_time_scale(*manifest, *settings, 60000);
  sim_config.credits = 1e9;
  // A few of the faults a real night brings, seeded so a rehearsal is repeatable.
  sim_config.faults.server_error = 0.01;
  sim_config.faults.drop_before = 0.01;
  sim_config.faults.truncate = 0.01;
  SimServer sim(sim_config);
  if (auto st = sim.start(); !st) {
    return report_error(io.err, st.error());
  }
  RunFlags rehearsal = flags;
  rehearsal.db = (dir / "rehearsal.db").string();
  rehearsal.settings.emplace_back("api_base", sim.base_url());
  rehearsal.settings.emplace_back("time_scale", fmt::format("{}", sim_config.time_scale));
  rehearsal.settings.emplace_back("output_dir", dir.string());
  // Callbacks and local images work in a rehearsal too: the listener on loopback, where the
  // simulator calls back and fetches (it reaches nothing else).
  if (auto port = free_loopback_port()) {
    rehearsal.settings.emplace_back("listen", fmt::format("127.0.0.1:{}", *port));
    rehearsal.settings.emplace_back("public_url", fmt::format("http://127.0.0.1:{}", *port));
  }
  auto lock = RunLock::acquire(rehearsal.db);
  if (!lock) {
    return report_error(io.err, lock.error());
  }
  auto queue = Queue::open(rehearsal.db, system_clock());
  if (!queue) {
    return report_error(io.err, queue.error());
  }
  if (auto r = queue.value()->enqueue(*manifest, fs::absolute(manifest_path), OnChanged::refuse); !r) {
    return report_error(io.err, r.error());
  }
  fmt::print(io.out,
             "rehearsal of {} against the built-in simulator (time scale {:.3g}: a 3-minute render takes {}); "
             "nothing is sent to apixo\n",
             manifest->batch, sim_config.time_scale,
             format_duration(static_cast<TimeMs>(k_prior_render_ms * sim_config.time_scale)));
  install_signal_handlers();
  StopWatchdog watchdog;
  int rc = drain(*queue.value(), manifest->batch, rehearsal, "rehearsal-key", io);
  print_sim_stats(sim, io.out);
  if (auto st = write_rehearsal_reports(*queue.value(), manifest->batch, dir); !st) {
    return report_error(io.err, st.error());
  }
  fmt::print(io.out, "  reports: {} and {}\n", (dir / "report.html").string(), (dir / "report.csv").string());
  return rc;
}

}  // namespace reelq
