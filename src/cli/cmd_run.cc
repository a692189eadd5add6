// `reelq run MANIFEST` and `reelq resume`: drain batches through the API, within its caps.
#include <Poco/JSON/Parser.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/URI.h>
#include <fmt/format.h>
#include <fmt/ostream.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <ostream>
#include <thread>

#include "api/poco_transport.h"
#include "cli/batch_settings.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/db_location.h"
#include "cli/enqueue_notices.h"
#include "cli/failed_view.h"
#include "cli/invocation.h"
#include "cli/listen_setup.h"
#include "cli/next_steps.h"
#include "cli/progress.h"
#include "cost/estimate.h"
#include "cost/render_prior.h"
#include "fetch/download_options.h"
#include "fetch/folder_claim.h"
#include "queue/database.h"
#include "queue/operations.h"
#include "queue/run_store.h"
#include "report/report_file.h"
#include "sched/balance_check.h"
#include "cli/run_money.h"
#include "queue/run_ledger.h"
#include "cost/render_prior.h"
#include "sched/runner.h"
#include "sim/sim_server.h"
#include "util/run_lock.h"

namespace reelq {

namespace fs = std::filesystem;

namespace {

std::atomic<int> g_stop_requests{0};

// What the watchdog says when it must cut a stop short: the batch being drained registers it.
struct StopNote {
  std::mutex mutex;
  ConsoleObserver* observer = nullptr;  // knows the request on the wire
  const Downloader* downloader = nullptr;
  std::string resume;  // "Continue with: reelq resume ..."
  std::ostream* out = nullptr;
};
StopNote g_stop_note;

// Registers one drain's part of the note for as long as it lives.
class StopNoteScope {
 public:
  StopNoteScope(std::string resume, std::ostream& out) {
    std::lock_guard lock(g_stop_note.mutex);
    g_stop_note.resume = std::move(resume);
    g_stop_note.out = &out;
  }
  ~StopNoteScope() {
    std::lock_guard lock(g_stop_note.mutex);
    g_stop_note.out = nullptr;
  }
  StopNoteScope(const StopNoteScope&) = delete;
  StopNoteScope& operator=(const StopNoteScope&) = delete;
};

// Lends the note the run's observer and downloader; declared after both, so it lets go first.
class StopNoteWatch {
 public:
  StopNoteWatch(ConsoleObserver& observer, const Downloader& downloader) {
    std::lock_guard lock(g_stop_note.mutex);
    g_stop_note.observer = &observer;
    g_stop_note.downloader = &downloader;
  }
  ~StopNoteWatch() {
    std::lock_guard lock(g_stop_note.mutex);
    g_stop_note.observer = nullptr;
    g_stop_note.downloader = nullptr;
  }
  StopNoteWatch(const StopNoteWatch&) = delete;
  StopNoteWatch& operator=(const StopNoteWatch&) = delete;
};

// First SIGINT/SIGTERM/SIGHUP: stop submitting and wind down (the runner checks every 50 ms). Second:
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
    // A deadline rather than a count of naps: 90 naps of 20 ms said "over 2 s" after 1.8 s.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (!m_done && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!m_done) {
      say_what_is_left();
      ::_exit(k_exit_unfinished);
    }
  }

  static void say_what_is_left() {
    std::unique_lock lock(g_stop_note.mutex, std::try_to_lock);
    if (!lock.owns_lock() || !g_stop_note.out) {
      return;
    }
    int downloads = g_stop_note.downloader ? static_cast<int>(g_stop_note.downloader->in_flight()) : 0;
    if (g_stop_note.observer) {
      g_stop_note.observer->cut_short(downloads, g_stop_note.resume);
    } else {
      *g_stop_note.out << "\nstop took over 2 s; exiting\n" << g_stop_note.resume << "\n" << std::flush;
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
  // A dropped SSH session: wind down like SIGTERM, unless started under nohup, which asked for
  // the run to outlive its terminal.
  struct sigaction hup = {};
  if (sigaction(SIGHUP, nullptr, &hup) == 0 && hup.sa_handler != SIG_IGN) {
    sigaction(SIGHUP, &sa, nullptr);
  }
  // The same drop kills a `| tee` reader; a write to its pipe must not kill the run mid-way.
  struct sigaction ignore = {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  sigaction(SIGPIPE, &ignore, nullptr);
}

// The batch's settings, with the limits of this build checked.
Result<Settings> resolve_run_settings(const BatchInfo& batch, const RunFlags& flags) {
  return stored_batch_settings(batch, flags.settings);
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
    case RunEnd::disk_full:
    case RunEnd::slots_held:
      return k_exit_unfinished;
  }
  return k_exit_internal;
}

// A run of the batch, or the rehearsal: which decides what its database may talk to and how it
// is continued.
enum class DrainMode { run, rehearsal };

bool is_loopback_base(const std::string& api_base) {
  return is_loopback_host(api_base);
}

// A rehearsal's database talks only to a simulator on this machine: never to the real, paid API,
// and not to its own built-in simulator once that is gone (it lived inside `run --rehearse`).
std::optional<Error> refuse_for_rehearsal(RunStore& store, const BatchInfo& batch, const Settings& settings,
                                          const RunFlags& flags, const std::string& db) {
  auto rehearsal = store.is_rehearsal();
  if (!rehearsal) {
    return rehearsal.error();
  }
  if (!*rehearsal) {
    return std::nullopt;
  }
  std::string again =
      fmt::format("rehearse again with `{} run --rehearse {}`", reelq_command(), shell_word(batch.manifest_path));
  if (!is_loopback_base(settings.api_base)) {
    return Error{ErrorKind::usage,
                 fmt::format("{} is a rehearsal's database (reelq run --rehearse) and never talks to a real API; "
                             "refusing {}. Run the real batch with `{} run {}` (its own database), or {}",
                             db, settings.api_base, reelq_command(), shell_word(batch.manifest_path), again)};
  }
  bool base_given =
      std::any_of(flags.settings.begin(), flags.settings.end(), [](const auto& kv) { return kv.first == "api_base"; });
  if (settings.api_base == batch.api_base && !base_given) {
    return Error{ErrorKind::usage,
                 fmt::format("{} is a rehearsal's database; the built-in simulator it ran against ({}) ended with "
                             "it. {}, or point it at a `{} sim` with --api-base http://127.0.0.1:PORT",
                             db, batch.api_base, again, reelq_command())};
  }
  return std::nullopt;
}

// A batch that rendered at a simulator on this machine holds placeholder videos counted as done.
// Sent on to a real API it would render only what the simulator left, and the morning's report
// would mix both: refused, with the way to a real run beside it.
std::optional<Error> refuse_simulated_to_real(RunStore& store, const BatchInfo& batch, const Settings& settings,
                                              const std::string& db) {
  if (batch.api_base.empty() || !is_loopback_base(batch.api_base) || is_loopback_base(settings.api_base)) {
    return std::nullopt;
  }
  auto sent = store.takes_sent(batch.name);
  if (!sent) {
    return sent.error();
  }
  if (*sent == 0) {
    return std::nullopt;  // nothing happened at the simulator: nothing to mistake for a render
  }
  return Error{ErrorKind::usage,
               fmt::format("batch {} ran against {}, an API on this machine (a simulator?): {} {} sent there, "
                           "and the videos it made are placeholders counted as done. Refusing to send the rest to "
                           "{}. Give the real run its own queue and folder: {} run {} --db FILE --output-dir "
                           "DIR (or delete {} and the batch's folder first)",
                           batch.name, batch.api_base, count_of(*sent, "take"), *sent == 1 ? "was" : "were",
                           settings.api_base, reelq_command(), shell_word(batch.manifest_path), shell_word(db))};
}

// The batch's output folder, and any folder that holds files it downloaded before it moved.
std::string files_line(RunStore& store, const std::string& batch, const std::string& output_dir) {
  std::string earlier;
  if (auto folders = store.file_folders(batch)) {
    for (const auto& f : *folders) {
      if (f != output_dir) {
        earlier += (earlier.empty() ? "" : ", ") + f;
      }
    }
  }
  return earlier.empty() ? output_dir
                         : fmt::format("{} (and, downloaded before the batch moved there, {})", output_dir, earlier);
}

// `resume` is the command that continues the batch.
std::string_view to_string(RunEnd end) {
  switch (end) {
    case RunEnd::finished:
      return "finished";
    case RunEnd::interrupted:
      return "interrupted";
    case RunEnd::credits_exhausted:
      return "credits_exhausted";
    case RunEnd::key_refused:
      return "key_refused";
    case RunEnd::storage_failed:
      return "storage_failed";
    case RunEnd::disk_full:
      return "disk_full";
    case RunEnd::slots_held:
      return "slots_held";
  }
  return "?";
}

// --log-json: the summary as one more JSON line, so stdout holds nothing else.
void print_summary_json(const std::string& batch, const RunSummary& s, const std::string& files,
                        const MoneyLines& money, const std::string& resume, const std::vector<std::string>& next,
                        std::ostream& out) {
  std::string failures;
  for (const auto& [code, n] : s.failures_by_code) {
    failures += fmt::format("{}{}:{}", failures.empty() ? "" : ",", json_quote(code), n);
  }
  std::string steps;
  for (const auto& line : next) {
    steps += (steps.empty() ? "" : ",") + json_quote(line);
  }
  out << fmt::format(R"({{"at":"{}","level":"info","event":"summary","batch":{},"end":"{}","succeeded":{},)"
                     R"("failed":{},"cancelled":{},)"
                     R"("left":{},"elapsed_ms":{},"failures":{{{}}},"files":{},"spent":{},"balance":{},"continue_with":{},)"
                     R"("next":[{}]}})",
                     iso_utc(system_clock().now_ms()), json_quote(batch), to_string(s.end), s.succeeded,
                     s.failed, s.cancelled, s.left, s.elapsed_ms,
                     failures, json_quote(files), money.spent, money.balance,
                     s.end == RunEnd::finished ? "null" : json_quote(resume), steps)
      << "\n";
}

void print_summary(const std::string& batch, const RunSummary& s, const std::string& files, const MoneyLines& money,
                   const std::string& resume, const std::vector<std::string>& next, std::ostream& out) {
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
    for (const auto& line : next) {
      fmt::print(out, "  next, {}\n", line);
    }
  }
  if (s.succeeded) {
    fmt::print(out, "  files: {}\n", files);
  }
  if (!money.spent.empty()) {
    fmt::print(out, "  spent: {}\n", money.spent);
  }
  if (!money.balance.empty()) {
    fmt::print(out, "  balance: {}\n", money.balance);
  }
  if (auto t = s.failures_by_code.find("RENDER_TIMEOUT"); t != s.failures_by_code.end()) {
    fmt::print(out,
               "  {} render{} passed render_deadline and {} given up on; the taskId{} {} kept: {} asks the API "
               "again and collects a late result\n",
               t->second, t->second == 1 ? "" : "s", t->second == 1 ? "was" : "were", t->second == 1 ? "" : "s",
               t->second == 1 ? "is" : "are", resume);
  }
  switch (s.end) {
    case RunEnd::finished:
      break;
    case RunEnd::interrupted:
      fmt::print(out, "  stopped with {} left; tasks already at the API keep rendering. Continue with: {}\n",
                 count_of(s.left, "job"), resume);
      break;
    case RunEnd::credits_exhausted:
      fmt::print(out, "  credits exhausted: {} still queued. Top up your apixo balance, then: {}\n",
                 count_of(s.left, "job"), resume);
      break;
    case RunEnd::key_refused:
      fmt::print(out, "  {}\n  nothing was marked failed; fix the key (APIXO_API_KEY or --api-key-file), then: {}\n",
                 s.message, resume);
      break;
    case RunEnd::storage_failed:
      fmt::print(out, "  the queue database could not be written ({}); fix that, then: {}\n", s.message, resume);
      break;
    case RunEnd::disk_full:
      fmt::print(out,
                 "  stopped: the disk is full ({}); nothing was marked failed and no partial file is kept. Free "
                 "some space, then: {}\n",
                 s.message, resume);
      break;
    case RunEnd::slots_held:
      fmt::print(out, "  {}; the API still counts them. Once they end: {}\n", s.message, resume);
      break;
  }
}

std::string unreachable_message(const std::string& api_base, const std::string& reason, const std::string& done) {
  return fmt::format(
      "reelq: cannot reach the API at {} ({}); {}. Check the network (and --api-base), then run the "
      "same command again.",
      api_base, reason, done);
}

// Refuses to start a batch the balance cannot pay for (unless --allow-partial). Returns an exit
// code to stop with, or -1 to go on.
// `read`: the balance answer the check used, if it asked (or was given) one.
int check_funds(RunStore& store, ApiClient& api, const std::string& batch, const std::string& model,
                const Settings& settings, const RunFlags& flags, const BalanceResult* already_read, CommandIo io,
                std::optional<BalanceResult>& read) {
  auto prices = load_prices(prices_path(flags.prices));
  if (!prices) {
    return report_error(io.err, prices.error());
  }
  BalanceVerdict v = check_balance(store, api, system_clock(), batch, model, *prices, settings, already_read);
  read = v.read;
  switch (v.kind) {
    case BalanceKind::covered:
      if (v.renders > 0 && flags.style != OutputStyle::quiet) {
        std::string line = fmt::format("balance ${:.2f} covers the {} left (estimated ${:.2f})", v.balance,
                                       count_of(v.renders, "render"), v.cost);
        if (flags.style == OutputStyle::json) {
          ConsoleObserver(io.out, flags.style, system_clock()).log(LogLevel::info, line);
        } else {
          fmt::print(io.out, "{}\n", line);
        }
      }
      return -1;
    case BalanceKind::unknown:
      fmt::print(io.err, "reelq: warning: {}; starting anyway (a run stops submitting when credits run out)\n",
                 v.message);
      return -1;
    case BalanceKind::unreachable:
      fmt::print(io.err, "{}\n", unreachable_message(settings.api_base, v.message, "nothing was submitted"));
      return k_exit_unfinished;
    case BalanceKind::key_refused:
      fmt::print(io.err, "reelq: {}; nothing was submitted. Fix the key (APIXO_API_KEY or --api-key-file).\n",
                 v.message);
      return k_exit_key_refused;
    case BalanceKind::short_funds:
      break;
  }
  std::string what = fmt::format("balance ${:.2f} covers {} of the {} left (estimated ${:.2f}, prices: {})", v.balance,
                                 v.affordable, count_of(v.renders, "render"), v.cost, prices->source);
  if (flags.allow_partial) {
    fmt::print(io.err, "reelq: warning: {}; --allow-partial: starting, and stopping when credits run out\n", what);
    return -1;
  }
  fmt::print(io.err,
             "reelq: {}. Nothing was submitted. Top up, or pass --allow-partial to render what it covers "
             "(`{} resume` continues later).\n",
             what, reelq_command());
  return k_exit_unfinished;
}

// The output folder must not hold another queue's results for this batch (the same manifest run
// with another database would render it all again). `queue_id` "" is a queue not created yet.
// Returns an exit code to stop with, or -1 to go on.
int check_output_folder(const std::string& batch, const std::string& queue_id, const fs::path& dir, CommandIo io) {
  if (auto owner = foreign_claim(read_claims(dir), batch, queue_id)) {
    return report_error(io.err, foreign_claim_error(dir, *owner));
  }
  return -1;
}

// Tasks submitted in callback mode by an earlier run, now drained without it (a resume without
// --mode callback and the listener flags): their callbacks go unanswered. Polling still collects
// them, later; say so rather than leave the user to wonder.
void warn_if_callbacks_unheard(RunStore& store, const std::string& batch, const Settings& settings, CommandIo io) {
  if (settings.request_type == RequestType::callback) {
    return;
  }
  // Only a warning: the run itself reads the same rows and reports a database it cannot read.
  if (auto n = store.open_callback_tasks(batch); n && *n > 0) {
    fmt::print(io.err,
               "reelq: {} of batch {} {} submitted in callback mode; this run polls (no --mode callback): "
               "their callbacks go unanswered and polling collects them. To hear them, resume with --mode "
               "callback --listen HOST:PORT --public-url URL as before\n",
               count_of(*n, "task"), batch, *n == 1 ? "was" : "were");
  }
}

// A take `succeeded` whose file has gone from disk since (deleted, moved) would make the run's
// "all done" a lie: it goes back to `downloading`, and the run fetches it again from its result
// URL (or fails it DOWNLOAD_FAILED if that URL has expired).
Status refetch_deleted_results(SQLite::Database& db, RunStore& store, const std::string& batch, OutputStyle style,
                               CommandIo io) {
  auto missing = missing_results(db, batch);
  if (!missing) {
    return missing.error();
  }
  for (const MissingResult& m : *missing) {
    if (m.state != JobState::succeeded) {
      continue;
    }
    JobUpdate u;
    u.state = JobState::downloading;
    EventRecord e{"download", 0,        std::nullopt, "a result file is no longer on disk; fetching it again",
                  m.task_id,  "refetch"};
    if (auto st = store.update(m.row, u, &e); !st) {
      return st;
    }
    if (style == OutputStyle::json) {
      fmt::print(
          io.out,
          R"({{"event":"refetch","job":{},"take":{},"task_id":{},"message":"a result file is no longer on disk; fetching it again"}})"
          "\n",
          json_quote(m.job_id), m.take, json_quote(m.task_id));
    } else {
      fmt::print(io.out, "{} take {}: a result file is no longer on disk; fetching it again\n", m.job_id, m.take);
    }
  }
  return ok_status();
}

// Drains one batch; the lock and the key are the caller's. `balance`: read just before, or nullptr.
// `sim_created`: in a rehearsal, the simulator's tasks per input, read at the summary.
int drain(Queue& queue, const std::string& batch_name, const RunFlags& flags, const std::string& key, CommandIo io,
          DrainMode mode = DrainMode::run, const BalanceResult* balance = nullptr,
          const std::function<std::map<std::string, int>()>& sim_created = {}) {
  StopNoteScope stop_note(mode == DrainMode::rehearsal
                              ? fmt::format("  A rehearsal starts afresh: {} run --rehearse MANIFEST", reelq_command())
                              : fmt::format("  Continue with: {} resume --db {} --batch {}", reelq_command(),
                                            shell_word(flags.db), batch_name),
                          io.out);
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
  if (mode == DrainMode::run) {
    if (auto refusal = refuse_for_rehearsal(store, *batch, *settings, flags, flags.db)) {
      return report_error(io.err, *refusal);
    }
    if (auto refusal = refuse_simulated_to_real(store, *batch, *settings, flags.db)) {
      return report_error(io.err, *refusal);
    }
  }
  // Where the batch runs, recorded before anything else can stop this run (a listener that cannot
  // bind, a folder that cannot be written): the resume line it prints must lead back here.
  if (auto st = store.record_api(batch_name, settings->api_base, settings->time_scale); !st) {
    return report_error(io.err, st.error());
  }
  // A resume runs the batch as it was started (`--on-ambiguous hold`, callback mode and its
  // listener): the flags are remembered with the batch, and said when used without being given.
  if (std::string kept = remembered_in_use(batch->run_flags_json, flags.settings); !kept.empty()) {
    fmt::print(io.err, "reelq: batch {} runs with the flags its last run was given: {} (give one again to change it)\n",
               batch_name, kept);
  }
  if (auto st = store.record_run_flags(batch_name,
                                       merge_run_flags(batch->run_flags_json, flags.settings, fs::current_path()));
      !st) {
    return report_error(io.err, st.error());
  }
  auto id = queue_id(queue.db());
  if (!id) {
    return report_error(io.err, id.error());
  }
  if (int rc = check_output_folder(batch_name, *id, settings->output_dir, io); rc >= 0) {
    return rc;
  }
  std::error_code ec;
  fs::create_directories(settings->output_dir, ec);
  if (ec) {
    io.err << fmt::format("reelq: cannot create the output folder {}: {}\n", settings->output_dir, ec.message());
    return k_exit_usage;
  }
  if (auto st = claim_folder(settings->output_dir, {*id, batch_name, flags.db}); !st) {
    io.err << fmt::format("reelq: the output folder cannot be written: {}\n", st.error().message);
    return k_exit_usage;  // like a folder that cannot be created: nothing was sent
  }
  // What a killed run was downloading is fetched again; its half-written file goes.
  remove_stale_parts(settings->output_dir);
  if (!batch->output_dir.empty() && batch->output_dir != settings->output_dir) {
    // Say it once, where it is decided: files already downloaded are not moved, nor fetched again.
    fmt::print(io.err, "reelq: batch {} now sends its results to {}; the files already downloaded stay in {}\n",
               batch_name, settings->output_dir, batch->output_dir);
  }
  if (auto st = store.set_output_dir(batch_name, settings->output_dir); !st) {
    io.err << "reelq: " << st.error().message << "\n";
    return k_exit_internal;
  }
  if (auto st = refetch_deleted_results(queue.db(), store, batch_name, flags.style, io); !st) {
    return report_error(io.err, st.error());
  }
  TransportOptions topts;
  topts.user_agent = std::string("reelq/") + REELQ_VERSION;
  topts.ca_file = flags.ca_file;
  auto transport = make_poco_transport(topts);
  auto cdn = make_poco_transport(topts);  // downloads get their own connections
  HttpApiClient api(*transport, settings->api_base, key, system_clock());
  Downloader downloader(*cdn, system_clock(), download_options(*settings));
  warn_if_callbacks_unheard(store, batch_name, *settings, io);
  auto listen = set_up_listen(queue.db(), store, *batch, *settings, *cdn, io.err);
  if (!listen) {
    return report_error(io.err, listen.error());
  }
  // A rehearsal's simulator holds a billion dollars: whether it covers the batch is not worth asking.
  std::optional<BalanceResult> balance_read;
  if (mode == DrainMode::run) {
    if (int rc = check_funds(store, api, batch_name, batch->model, *settings, flags, balance, io, balance_read);
        rc >= 0) {
      return rc;
    }
  }
  // The balance around the run settles what its answers cannot (cli/run_money.h).
  auto run_id = start_run(queue.db(), batch_name, system_clock().now_ms(),
                          balance_at_start(store, api, *settings, balance_read));
  ConsoleObserver observer(io.out, flags.style, system_clock());
  StopNoteWatch watch(observer, downloader);
  RunConfig config;
  config.batch = batch_name;
  config.model = batch->model;
  config.settings = *settings;
  config.seed = static_cast<std::uint64_t>(::getpid());
  config.inbox = listen->inbox.get();
  config.callback_url = listen->callback_url;
  config.image_urls = listen->image_urls;
  Runner runner(store, api, downloader, system_clock(), observer, config, g_stop_requests);
  std::vector<std::string> start_lines = {fmt::format(
      "batch {}: draining at {} with {} requests per {} and {} tasks at once; files to {}", batch_name,
      settings->api_base, settings->rpm,
      settings->time_scale == 1 ? "minute" : format_duration(static_cast<TimeMs>(60000 * settings->time_scale)),
      settings->max_concurrent, settings->output_dir)};
  if (!listen->summary.empty()) {
    start_lines.push_back(listen->summary);
  }
  for (const auto& line : start_lines) {
    if (flags.style == OutputStyle::json) {
      observer.log(LogLevel::info, line);  // a JSON line like every other (the trial found them missing)
    } else if (flags.style != OutputStyle::quiet) {
      fmt::print(io.out, "{}\n", line);
    }
  }
  RunSummary summary = runner.run();
  observer.finish();
  if (run_id) {
    (void)end_run(queue.db(), *run_id, system_clock().now_ms(), balance_at_end(store, api, *settings, summary.end));
  }
  std::string resume = mode == DrainMode::rehearsal ? fmt::format("{} run --rehearse {} (a rehearsal starts afresh)",
                                                                  reelq_command(), shell_word(batch->manifest_path))
                                                    : fmt::format("{} resume --db {} --batch {}", reelq_command(),
                                                                  shell_word(flags.db), batch_name);
  std::vector<std::string> next;
  if (mode == DrainMode::run && summary.end == RunEnd::finished) {
    NextStepsContext at = next_steps_context(queue.db(), batch_name, flags.db, settings->public_url);
    at.manifest = batch->manifest_path;
    next = next_steps(summary.failures_by_code, at);
  }
  auto print = flags.style == OutputStyle::json ? print_summary_json : print_summary;
  std::map<std::string, int> created;
  if (sim_created) {
    created = sim_created();
  }
  MoneyLines money = summary_money(queue.db(), batch_name, batch->model,
                                   run_id ? std::optional<std::int64_t>(*run_id) : std::nullopt, flags.prices,
                                   flags.style == OutputStyle::json, mode == DrainMode::rehearsal,
                                   sim_created ? &created : nullptr);
  print(batch_name, summary, files_line(store, batch_name, settings->output_dir), money, resume, next, io.out);
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
  // A key file only its owner can read: the queue it makes (the batch's prompts, its taskIds, its
  // result URLs) is kept as private. Otherwise the user's umask decides, as for any file.
  auto queue = open_queue(flags.db,
                          key_file_is_private(flags.api_key_file) ? DbPrivacy::private_ : DbPrivacy::umask);
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

// The settings a run of `manifest` will use: its batch as the queue stores it (the API and time
// scale it ran with, its output folder), with the manifest's settings as they are now.
// `db` is nullptr when the queue does not exist yet.
Result<Settings> batch_settings(SQLite::Database* db, const Manifest& manifest, const std::string& manifest_path,
                                const RunFlags& flags) {
  BatchInfo stored;
  if (db) {
    if (auto b = RunStore(*db, system_clock()).batch(manifest.batch)) {
      stored = *b;
    }
  }
  stored.name = manifest.batch;
  stored.manifest_path = fs::absolute(manifest_path).string();
  stored.settings_json = manifest.settings_json;
  return resolve_run_settings(stored, flags);
}

// Before the queue is created or written: the folder this run would fill must not hold another
// queue's results for the batch. Returns an exit code to stop with, or -1 to go on.
int precheck_output_folder(const Manifest& manifest, const std::string& manifest_path, const RunFlags& flags,
                           CommandIo io) {
  std::string id;
  Result<Settings> settings = Error{ErrorKind::internal, "not resolved"};
  std::error_code ec;
  if (fs::exists(flags.db, ec)) {
    auto queue = open_queue(flags.db);
    if (!queue) {
      return report_error(io.err, queue.error());
    }
    auto qid = queue_id(queue.value()->db());
    if (!qid) {
      return report_error(io.err, qid.error());
    }
    id = *qid;
    settings = batch_settings(&queue.value()->db(), manifest, manifest_path, flags);
  } else {
    settings = batch_settings(nullptr, manifest, manifest_path, flags);
  }
  if (!settings) {
    return report_error(io.err, settings.error());
  }
  return check_output_folder(manifest.batch, id, settings->output_dir, io);
}

BalanceResult read_balance_of(Prepared& p, const Settings& settings, const RunFlags& flags) {
  TransportOptions topts;
  topts.user_agent = std::string("reelq/") + REELQ_VERSION;
  topts.ca_file = flags.ca_file;
  auto transport = make_poco_transport(topts);
  HttpApiClient api(*transport, settings.api_base, p.key, system_clock());
  RunStore store(p.queue->db(), system_clock());
  return read_balance(store, api, system_clock(), settings);
}

// A batch `reelq resume` should drain: one with takes not in an end state, or with renders given
// up on at their deadline whose taskId it can ask about again.
bool resumable(Queue& queue, const BatchSummary& s) {
  int open =
      s.total() - s.counts.at(JobState::succeeded) - s.counts.at(JobState::failed) - s.counts.at(JobState::cancelled);
  if (open > 0) {
    return true;
  }
  RunStore store(queue.db(), system_clock());
  auto counts = store.counts(s.name);
  return counts && counts->failures_by_code.contains("RENDER_TIMEOUT");
}

}  // namespace

namespace {

// The command that starts this run again, as it was given: every flag kept (a Free-plan user's
// --rpm 10 --max-concurrent 3 must not fall back to the defaults), every path absolute. The key is
// never a flag, so nothing secret is spelled out.
std::string run_again(const std::string& manifest_path, const RunFlags& flags) {
  std::string line = reelq_line("run ") + shell_word(fs::absolute(manifest_path).lexically_normal().string());
  line += " --db " + shell_word(flags.db);
  for (const auto& [key, value] : flags.settings) {
    bool path = key == "output_dir" || key == "tls_cert" || key == "tls_key";
    line += fmt::format(" {} {}", setting_flag(key),
                        shell_word(path ? fs::absolute(value).lexically_normal().string() : value));
  }
  auto add = [&](const char* flag, const std::string& value) {
    if (!value.empty()) {
      line += fmt::format(" {} {}", flag, shell_word(fs::absolute(value).lexically_normal().string()));
    }
  };
  add("--api-key-file", flags.api_key_file);
  add("--ca-file", flags.ca_file);
  add("--prices", flags.prices);
  line += flags.replace_changed ? " --replace-changed" : "";
  line += flags.keep_removed ? " --keep-removed" : "";
  line += flags.into_batch ? " --into-batch" : "";
  line += flags.allow_partial ? " --allow-partial" : "";
  return line;
}

}  // namespace

int cmd_run(const std::string& manifest_path, const RunFlags& given, CommandIo io) {
  auto manifest = load_manifest(manifest_path);
  if (!manifest) {
    io.err << manifest.error().message;
    return k_exit_usage;
  }
  auto db = db_for_manifest(given.db, manifest_path, manifest->batch, fs::current_path());
  if (!db) {
    return report_error(io.err, db.error());
  }
  RunFlags flags = given;
  flags.db = db->path.string();
  // From the start: a Ctrl-C during the balance check or the enqueue still ends within 2 s, and says so.
  install_signal_handlers();
  StopWatchdog watchdog;
  const std::string again = run_again(manifest_path, flags);
  StopNoteScope early_note(fmt::format("  Nothing was submitted yet: run `{}` again", again), io.out);
  if (int rc = precheck_output_folder(*manifest, manifest_path, flags, io); rc >= 0) {
    return rc;
  }
  int rc = k_exit_ok;
  auto prepared = prepare(flags, io, rc);
  if (!prepared) {
    return rc;
  }
  // A batch made from another manifest file is refused before anything is asked or sent.
  if (auto other = prepared->queue->other_manifest(*manifest, fs::absolute(manifest_path)); !other) {
    return report_error(io.err, other.error());
  } else if (*other && !flags.into_batch) {
    io.err << "reelq: " << (*other)->message;
    return exit_code_for(**other);
  }
  // The balance first: an API that cannot be reached stops the run before anything is written.
  // At the API the batch ran against before, unless a flag or REELQ_API_BASE names another.
  auto settings = batch_settings(&prepared->queue->db(), *manifest, manifest_path, flags);
  if (!settings) {
    return report_error(io.err, settings.error());
  }
  // Settings that cannot work (callback mode or local images without --public-url, ...) are
  // refused before anything is written or sent.
  if (auto st = check_listen_settings(*manifest, *settings); !st) {
    return report_error(io.err, Error{st.error().kind, st.error().message + "; nothing was enqueued or sent"});
  }
  {
    RunStore store(prepared->queue->db(), system_clock());
    if (auto stored = store.batch(manifest->batch)) {  // a batch run before, before anything is sent
      if (auto refusal = refuse_simulated_to_real(store, *stored, *settings, flags.db)) {
        return report_error(io.err, *refusal);
      }
    }
  }
  std::optional<BalanceResult> balance = read_balance_of(*prepared, *settings, flags);
  if (balance->answer.kind == AnswerKind::unreachable) {
    fmt::print(io.err, "{}\n",
               unreachable_message(settings->api_base, balance->answer.message, "nothing was enqueued or submitted"));
    return k_exit_unfinished;
  }
  if (g_stop_requests.load() > 0) {
    fmt::print(io.out, "stopped before anything was enqueued or submitted: run `{}` again\n", again);
    return k_exit_unfinished;
  }
  EnqueueOptions options = enqueue_options(flags.replace_changed, flags.keep_removed, flags.into_batch);
  auto report = prepared->queue->enqueue(*manifest, fs::absolute(manifest_path), options);
  if (!report) {
    io.err << "reelq: " << report.error().message;
    return exit_code_for(report.error());
  }
  for (const auto& line : enqueue_notices(
           *report, {fs::path(manifest_path).filename().string(), flags.db, manifest->batch, options.on_removed})) {
    io.err << "reelq: " << line << "\n";
  }
  return drain(*prepared->queue, manifest->batch, flags, prepared->key, io, DrainMode::run,
               balance ? &*balance : nullptr);
}

int cmd_resume(const std::optional<std::string>& batch, const RunFlags& flags, CommandIo io) {
  if (!fs::exists(flags.db)) {
    io.err << fmt::format("reelq: no queue database at {} (pass --db)\n", flags.db);
    return k_exit_usage;
  }
  // From the start, as in `run`: a stop during start-up still ends within 2 s, and says so.
  install_signal_handlers();
  StopWatchdog watchdog;
  StopNoteScope early_note(
      fmt::format("  Nothing was submitted yet: run `{} resume --db {}` again", reelq_command(), shell_word(flags.db)),
      io.out);
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
      if (resumable(*prepared->queue, s)) {
        batches.push_back(s.name);
      }
    }
    if (batches.empty()) {
      io.out << "nothing to resume: every batch in " << flags.db << " is finished\n";
      return k_exit_ok;
    }
  }
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
  // The lock before anything is deleted: a rehearsal of this manifest may be running from it.
  std::string db_path = (dir / "rehearsal.db").string();
  auto lock = RunLock::acquire(db_path);
  if (!lock && lock.error().kind != ErrorKind::busy) {
    return report_error(io.err, lock.error());  // a lock file planted as a link: not a running rehearsal
  }
  if (!lock) {
    return report_error(io.err, Error{lock.error().kind, fmt::format("a rehearsal of {} is running already ({}); "
                                                                     "nothing was changed",
                                                                     manifest->batch, lock.error().message)});
  }
  // The claim file goes with the old database: the new rehearsal queue owns the folder.
  for (const char* stale : {"rehearsal.db", "rehearsal.db-wal", "rehearsal.db-shm", k_claim_file}) {
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
  rehearsal.db = db_path;
  rehearsal.settings.emplace_back("api_base", sim.base_url());
  rehearsal.settings.emplace_back("time_scale", fmt::format("{}", sim_config.time_scale));
  rehearsal.settings.emplace_back("output_dir", dir.string());
  // Callbacks and local images work in a rehearsal too: the listener on loopback, where the
  // simulator calls back and fetches (it reaches nothing else).
  if (auto port = free_loopback_port()) {
    rehearsal.settings.emplace_back("listen", fmt::format("127.0.0.1:{}", *port));
    rehearsal.settings.emplace_back("public_url", fmt::format("http://127.0.0.1:{}", *port));
  }
  auto queue = Queue::open(rehearsal.db, system_clock());
  if (!queue) {
    return report_error(io.err, queue.error());
  }
  if (auto st = RunStore(queue.value()->db(), system_clock()).mark_rehearsal(); !st) {
    return report_error(io.err, st.error());
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
  // The simulator knows what it created: a submit whose answer was lost is settled, not guessed.
  int rc = drain(*queue.value(), manifest->batch, rehearsal, "rehearsal-key", io, DrainMode::rehearsal, nullptr,
                 [&sim] { return sim.core().tasks_by_input(); });
  if (rc == k_exit_usage || rc == k_exit_internal) {
    return rc;  // refused before anything ran (its reason printed): no figures, no reports to point at
  }
  print_sim_stats(sim, io.out);
  if (auto st = write_rehearsal_reports(*queue.value(), manifest->batch, dir); !st) {
    return report_error(io.err, st.error());
  }
  fmt::print(io.out, "  reports: {} and {}\n", (dir / "report.html").string(), (dir / "report.csv").string());
  return rc;
}

}  // namespace reelq
