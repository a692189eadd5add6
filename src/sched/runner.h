#pragma once
// The loop that drains a batch: it asks the planner for the next action, writes the intent, hands
// the request to a dispatch (api/dispatch.h) and goes on; answers are applied on a later turn. It
// is the only owner of run state and the only writer to the queue; the dispatch's workers only
// make HTTP calls. A job never has two requests on the wire. What an answer
// means is sched/outcome.h; when to poll, sched/poll_timing.h; the jobs and their indexes,
// sched/job_table.h; what an earlier run left, run_start.cc; what each key's planner reads and
// which key acts, run_pool.cc.
//
// Invariants it keeps (docs/queue.md):
//  - a job's row says `submitting`, with the exact body, before its request leaves;
//  - a taskId is written the moment it arrives, and a job with a taskId is only ever polled;
//  - no more than max_concurrent tasks at the API, counting those found at start-up;
//  - no more than rpm API requests in any rolling window, counted from their send
//    (RequestWindow);
//  - a job is `succeeded` only when its files are on disk.
#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "api/client.h"
#include "api/dispatch.h"
#include "api/inline_dispatch.h"
#include "api/key_identity.h"
#include "fetch/downloader.h"
#include "listen/inbox.h"
#include "queue/run_store.h"
#include "sched/job_table.h"
#include "sched/key_lane.h"
#include "sched/key_limits.h"
#include "sched/outage.h"
#include "sched/outcome.h"
#include "sched/planner.h"
#include "sched/render_model.h"
#include "sched/request_window.h"
#include "sched/run_observer.h"
#include "sched/slot_holds.h"
#include "sched/spend_cap.h"
#include "settings.h"
#include "util/backoff.h"
#include "util/wakeup.h"

namespace reelq {

enum class RunEnd {
  finished,           // every job is in an end state
  interrupted,        // a stop was asked for (SIGINT/SIGTERM)
  credits_exhausted,  // submitting stopped; what was running has been collected
  key_refused,        // 401/403 for every key of the run: stopped at once
  keys_lost,          // a key was refused mid-run: its tasks are left at the API, unpolled
  storage_failed,     // the database could not be written: stopped at once
  disk_full,          // a result could not be written (ENOSPC, EDQUOT): stopped, the take kept downloading
  slots_held,         // queued jobs left, and every slot held by renders past their deadline
  spend_capped,       // the next render would pass max_spend: submitting stopped, what ran collected
};

struct RunSummary {
  RunEnd end = RunEnd::finished;
  int succeeded = 0;
  int failed = 0;
  int cancelled = 0;
  int left = 0;  // not in an end state
  std::map<std::string, int> failures_by_code;
  TimeMs elapsed_ms = 0;
  std::string message;  // for storage_failed / key_refused / disk_full
  // What the run learned of the key's limits, for the summary to repeat ("" = nothing): the cap
  // the API kept to when it was lower than max_concurrent, and the setting to write.
  std::string limits_note;
  // Keys of the pool the API refused mid-run, one line each (the others went on).
  std::vector<std::string> refused_keys;
  // With a spend cap: the cap and what the batch may have cost by the end (committed: every task
  // created or possibly created, priced by the table).
  std::optional<double> spend_cap;
  double spend_committed = 0;
  std::string spend_currency = "USD";  // the price table's (set by whoever priced the renders)
};

struct RunConfig {
  std::string batch;
  // The key the run submits with, as recorded with each submit intent (never the key itself).
  KeyIdentity key;
  // A pool of keys (sched/key_lane.h), each with its own caps; requests carry the key's index.
  // Empty: one key, `key`, with the settings' caps.
  std::vector<PoolKey> pool;
  // Asked about a waiting key (PoolKey::waiting) now and then: true once its lease is this run's.
  std::function<bool(const KeyIdentity&)> join_key;
  std::string model = "sora-2-pro";
  Settings settings;
  std::uint64_t seed = 1;  // jitter
  // Callback mode (src/listen/): where hints arrive, and the callback_url every submit carries.
  // The loop also waits on the inbox, so a hint is acted on as soon as it arrives.
  RunInbox* inbox = nullptr;
  std::string callback_url;
  std::map<std::string, std::string> image_urls;  // local file:// URI -> the URL the API fetches
  // Who makes the API calls: a WorkerDispatch for requests in flight at once; none: an
  // InlineDispatch over the client (one at a time, on the loop's thread: tests on a fake clock).
  ApiDispatch* dispatch = nullptr;
  // What the loop sleeps on when requests are on the wire (notified by the dispatch's workers,
  // the inbox and the downloader); none: the inbox's wait, or the clock's sleep.
  Wakeup* wakeup = nullptr;
  // How long a stop waits for answers already on their way (real ms), and how many requests an
  // earlier run may have had on the wire when it was killed (each holds a place in the budget).
  TimeMs stop_grace_ms = 1000;
  int max_in_flight = 1;
  // For settings.max_spend (sched/spend_cap.h): a render's price by the table (nullopt: the table
  // has none), and what the batch may have cost before this run, asked once start-up has recorded
  // what an earlier run left unanswered. Without them a cap admits nothing.
  std::function<std::optional<double>(const std::string& input_json)> price;
  std::function<Result<double>()> committed_spend;
  std::string spend_currency = "USD";  // the price table's
};

class Runner {
 public:
  Runner(RunStore& store, ApiClient& api, Downloader& downloader, Clock& clock, RunObserver& observer, RunConfig config,
         const std::atomic<int>& stop_requests);
  RunSummary run();

 private:
  TimeMs scaled(double seconds) const;
  bool halted() const { return m_storage_failed || m_key_refused || m_disk_full; }
  bool write(std::int64_t row, const JobUpdate& update, const EventRecord* event);
  // A take's event, to the observer: `message` follows "JOB (take N): ".
  void say(LogLevel level, const char* event, const JobRow& j, const std::string& message,
           const std::string& fail_code = "");

  // Start-up (run_start.cc): what an earlier run left, before anything is sent.
  bool start_up(TimeMs started);
  void recover();
  void adopt_foreign_tasks();
  size_t add_job(JobRow row);
  void hold_unseen_slot(int lane, TimeMs since, RenderModel::ClassId cls);

  // One turn: what the planner sees (run_pool.cc), and carrying out what it says.
  struct Choice {
    Action action;
    int lane = 0;
  };
  struct PoolView {
    std::vector<std::vector<PlanJob>> at_api;  // by key
    std::vector<int> free;                     // by key: slots free now
    std::vector<PlanJob> ready;
    std::vector<PlanJob> endgame;  // every queued job, in the end game
    int queued = 0;
    TimeMs next_ready_at = 0;
    int slots = 0;       // of the keys that take work
    int free_slots = 0;  // of those
    bool pool_endgame = false;
  };
  Choice plan(TimeMs now);
  PoolView pool_view();
  PlanInput lane_input(int lane, TimeMs now, const PoolView& view);
  PlanJob plan_job(size_t i) const;
  int lane_of(const std::string& key_fp) const;
  void submit(size_t i, int lane);
  void poll(size_t i);
  void send(size_t i, ApiRequest request, const std::string& what);
  void absorb_answers();
  void submit_answered(size_t i, const SubmitResult& r);
  void poll_answered(size_t i, const StatusResult& r);
  void stop_dispatch();
  void apply(size_t i, Outcome& o);
  void on_answer(const Answer& a, int lane, SendId place, RequestKind kind, Ticket ticket);
  void on_rate_limited(const Answer& a, int lane, RequestKind kind, Ticket ticket);
  int submits_sent_before(int lane, Ticket ticket) const;
  int max_concurrent() const;  // the pool's
  void on_unreachable(const Answer& a);
  void key_refused(int lane, const Answer& a);
  void join_waiting_keys(TimeMs now);
  void wait_until(TimeMs until);

  // Results and hints that arrived meanwhile.
  void absorb_downloads();
  // The spend cap (run_spend.cc): opened at start-up, asked before each submit, given back by an
  // answer that proves no task was made.
  bool open_spend_cap();
  bool admit_spend(size_t i);
  void settle_spend(size_t i, const SubmitResult& r);
  void release_spend(size_t i);
  // Credits ran out (run_credits.cc): stop submitting, and with wait_for_credits read the balance
  // every few minutes until a top-up or the wait's end.
  void credits_ran_out(int lane, const std::string& api_message);
  bool waiting_for_credits(TimeMs now) const;
  bool reads_balance(int lane, TimeMs now) const;
  void read_balance_if_due(TimeMs now);
  TimeMs balance_read_at(TimeMs now) const;                      // when read_balance_if_due will send (max: never)
  bool balance_answered(Ticket ticket, const BalanceResult& r);  // false: not a balance read of this run
  void say_download(size_t i, const DownloadResult& r);          // what a stored download result means to the user
  void absorb_inbox();
  void start_download(size_t i);

  bool blocked_by_stale_renders(TimeMs now);
  void report_progress();
  void note_outage();
  Reachability reachability(TimeMs now) const;
  RunSummary summarize(TimeMs started);
  int keys_left(std::vector<std::string>& lines) const;

  RunStore& m_store;
  ApiClient& m_api;
  Downloader& m_downloader;
  mutable AnchoredClock m_clock;  // the run's own time: a step of the wall clock neither stalls nor rewinds it
  RunObserver& m_observer;
  RunConfig m_config;
  const std::atomic<int>& m_stop;
  OutcomeRules m_rules;
  std::unique_ptr<InlineDispatch> m_inline;  // when the config brings no dispatch
  ApiDispatch& m_dispatch;
  struct Sent {
    size_t job = 0;
    int lane = 0;              // the key it went out with
    SendId place = k_no_room;  // its place in that key's request budget
    std::string what;          // "the submit of shot-03", for the slow-answer line
  };
  std::map<Ticket, Sent> m_sent;  // requests on the wire, by ticket
  std::vector<KeyLane> m_lanes;   // the run's keys: one each (sched/key_lane.h)
  RenderModel m_model;
  Backoff m_backoff;
  Outage m_outage;
  JobTable m_jobs;
  std::uint64_t m_hints = 0;  // hints taken so far: each hinted task keeps its place in this order
  TimeMs m_outage_until = 0;  // while the API is away: no request before then, with any key
  SpendCap m_spend;
  std::map<size_t, double> m_spend_reserved;  // job -> the price its submit on the wire holds
  bool m_slots_held = false;                  // the run ended because stale renders hold every slot
  int m_foreign_tasks = 0;                    // other batches' tasks this run polls (adopt_foreign_tasks)
  bool m_key_refused = false;                 // every key of the run was refused
  bool m_storage_failed = false;
  bool m_disk_full = false;
  std::string m_failure_message;
  TimeMs m_last_progress = 0;
};

}  // namespace reelq
