#include "sched/runner.h"

#include <Poco/JSON/Parser.h>
#include <fmt/format.h>

#include <algorithm>

#include "api/request.h"
#include "fetch/collect.h"
#include "listen/served_images.h"
#include "sched/render_time.h"
#include "sched/unnamed_task.h"
#include "util/json_strings.h"
#include "util/text.h"
#include "util/time_text.h"

namespace reelq {

namespace {

constexpr int k_unusable_limit = 3;  // answers that do not answer, before the take stops waiting
// The longest pause a Retry-After can impose, in the API's time (scaled like every other
// constant): one bad header must not stop a night's run for a day.
constexpr double k_max_retry_after_s = 300;
constexpr TimeMs k_tick_ms = 50;      // the longest the loop sleeps before looking again
constexpr double k_backoff_cap_s = 60;  // scaled: the longest wait after an error or a 429
// Scaled seconds. An outage is said once a minute; the pause between tries grows to half a minute
// (a try that cannot leave the machine costs the API nothing, so the return is seen soon).
constexpr double k_outage_note_s = 60;
constexpr double k_outage_backoff_cap_s = 30;
// An overdue task is polled after a quarter of the time it is late, and at least every 5 minutes.
constexpr TimeMs k_overdue_divisor = 4;
constexpr double k_overdue_poll_cap_s = 300;

EventRecord event_of(const std::string& endpoint, const Answer& a, const std::string& task_id) {
  return {endpoint, a.http_status, a.body_code, a.message, task_id, std::string(to_string(a.kind))};
}

std::string describe(const JobRow& j) {
  std::string name = j.takes > 1 ? fmt::format("{} take {}", j.job_id, j.take) : j.job_id;
  return j.foreign() ? fmt::format("{} of batch {}", name, j.foreign_batch) : name;
}

}  // namespace

Runner::Runner(RunStore& store, ApiClient& api, Downloader& downloader, Clock& clock, RunObserver& observer,
               RunConfig config, const std::atomic<int>& stop_requests)
    : m_store(store),
      m_api(api),
      m_downloader(downloader),
      m_clock(clock),
      m_observer(observer),
      m_config(std::move(config)),
      m_stop(stop_requests),
      m_limiter(m_config.settings.rpm, scaled(60)),
      m_model(scaled(k_prior_render_ms / 1000.0)),
      m_backoff(scaled(1), scaled(k_backoff_cap_s), m_config.seed),
      m_backoff_429(scaled(1), scaled(k_backoff_cap_s), m_config.seed + 1),
      m_backoff_unreachable(scaled(1), scaled(k_outage_backoff_cap_s), m_config.seed + 2) {}

TimeMs Runner::scaled(double seconds) const {
  return static_cast<TimeMs>(seconds * 1000.0 * m_config.settings.time_scale);
}

bool Runner::write(std::int64_t row, const JobUpdate& update, const EventRecord* event) {
  if (auto st = m_store.update(row, update, event); !st) {
    m_storage_failed = true;
    m_failure_message = st.error().message;
    return false;
  }
  return true;
}

RunSummary Runner::run() {
  TimeMs started = m_clock.now_ms();
  // Tasks given up on by an earlier run may have ended since: look again (their taskId was kept).
  if (auto reopened = m_store.reopen_timed_out(m_config.batch); reopened && *reopened > 0) {
    m_observer.log(LogLevel::info, fmt::format("{} task{} that timed out earlier: asking the API again", *reopened,
                                               *reopened == 1 ? "" : "s"));
  }
  auto jobs = m_store.unfinished_jobs(m_config.batch);
  if (!jobs) {
    RunSummary s;
    s.end = RunEnd::storage_failed;
    s.message = jobs.error().message;
    return s;
  }
  m_jobs = std::move(jobs.value());
  // Recorded before anything is sent: `resume` comes back to this API, and what this run learns of
  // render times is read at this run's scale.
  if (auto st = m_store.record_api(m_config.batch, m_config.settings.api_base, m_config.settings.time_scale); !st) {
    RunSummary s;
    s.end = RunEnd::storage_failed;
    s.message = st.error().message;
    return s;
  }
  if (auto seen = m_store.observed_renders(m_config.settings.api_base, m_config.settings.time_scale)) {
    for (const ObservedRender& r : *seen) {
      m_model.observe(r.input_json, bound_render_time(r.took, r.lifetime, render_deadline()).value_or(0));
    }
  }
  if (auto recent = m_store.recent_requests(started - m_limiter.window())) {
    m_limiter.restore(*recent, started);
  }
  // A run that was killed may have had one request on the wire that no event records.
  m_limiter.record(started);
  // Tasks an earlier run may have created without learning their taskId still hold API slots.
  if (auto unseen = m_store.recent_ambiguous_submits(started - scaled(3600))) {
    for (const auto& [at, input] : *unseen) {
      hold_unseen_slot(std::min(at, started), input);  // not from a future a clock that was ahead gave it
    }
  }
  recover();
  adopt_foreign_tasks();
  while (!m_storage_failed && !m_key_refused && !m_disk_full) {
    absorb_downloads();
    absorb_inbox();
    if (m_stop.load() > 0 || m_disk_full) {
      break;
    }
    std::vector<PlanJob> snapshot = plan_jobs();
    PlanInput in;
    in.now = m_clock.now_ms();
    in.budget_at = std::max(m_limiter.next_allowed(in.now), m_pause_until);
    in.poll_at = std::max(m_limiter.next_deferrable(in.now, submit_reserve()), m_pause_until);
    in.may_submit = !m_credits_out;
    in.max_concurrent = m_config.settings.max_concurrent;
    in.unseen_tasks = held_slots(in.now);
    in.downloads_pending = m_downloader.in_flight() > 0;
    in.jobs = &snapshot;
    Action a = plan_next(in);
    if (a.kind == ActionKind::done) {
      break;
    }
    if (a.kind == ActionKind::wait && blocked_by_stale_renders(in.now)) {
      m_slots_held = true;
      break;
    }
    if (a.kind == ActionKind::submit) {
      submit(a.job);
    } else if (a.kind == ActionKind::poll) {
      poll(a.job);
    } else {
      wait(std::clamp<TimeMs>(a.until - in.now, 1, k_tick_ms));
    }
    note_outage();
    report_progress();
  }
  if (m_stop.load() > 0 || m_storage_failed || m_key_refused || m_disk_full) {
    m_downloader.stop();
  }
  return summarize(started);
}

// Rows left mid-way by an earlier run: a `submitting` row's request may or may not have reached
// the API; a `running` row is polled soon; a `downloading` row's files are fetched again.
void Runner::recover() {
  TimeMs now = m_clock.now_ms();
  for (size_t i = 0; i < m_jobs.size(); ++i) {
    JobRow& j = m_jobs[i];
    if (j.state == JobState::submitting) {
      Answer a;
      a.kind = AnswerKind::ambiguous;
      a.message = "found mid-submit after a restart; the task may exist";
      JobUpdate u;
      u.attempts = ++j.attempts;
      EventRecord e = event_of("recovery", a, "");
      if (m_config.settings.on_ambiguous == OnAmbiguous::hold) {
        u.state = j.state = JobState::failed;
        u.fail_code = "AMBIGUOUS_SUBMIT";
        u.fail_msg = "submit sent without an answer; held (--on-ambiguous=hold): `reelq retry` resubmits it";
        u.completed_at = now;
      } else {
        u.state = j.state = JobState::queued;
        u.ambiguous = j.ambiguous = true;
        u.note = "possible duplicate charge";
        u.next_at = j.next_at = now;
      }
      say(LogLevel::warn, "ambiguous", j, a.message);
      write(j.id, u, &e);
      hold_unseen_slot(now, j.input_json);
    } else if (j.state == JobState::running) {
      j.next_at = std::min(j.next_at > 0 ? j.next_at : now, now);
    } else if (j.state == JobState::queued) {
      // No backoff is longer than this: one stored by a wall clock that was ahead is not waited out.
      j.next_at = std::min(j.next_at, now + scaled(k_backoff_cap_s));
    } else if (j.state == JobState::downloading) {
      start_download(i);
    }
  }
}

// The concurrency cap is the key's, not the batch's: tasks another batch of this database left at
// the same API (stopped with tasks running) hold slots too. They are polled like ours, so their
// slots free when they end, and collected into their own batch's rows and folder; a task whose
// fate is unknown (their row mid-submit) holds a slot as ours do.
void Runner::adopt_foreign_tasks() {
  auto foreign = m_store.foreign_active_jobs(m_config.batch, m_config.settings.api_base);
  if (!foreign) {
    m_storage_failed = true;
    m_failure_message = foreign.error().message;
    return;
  }
  TimeMs now = m_clock.now_ms();
  for (JobRow& j : *foreign) {
    if (j.state == JobState::submitting) {
      hold_unseen_slot(now, j.input_json);
      continue;
    }
    j.next_at = std::min(j.next_at > 0 ? j.next_at : now, now);
    m_observer.log(LogLevel::info,
                   fmt::format("{}: task {} holds one of the API's slots; polling it", describe(j), j.task_id));
    m_jobs.push_back(std::move(j));
    ++m_foreign_tasks;
  }
}

std::vector<PlanJob> Runner::plan_jobs() const {
  std::vector<PlanJob> out;
  out.reserve(m_jobs.size());
  for (const auto& j : m_jobs) {
    RenderEstimate e = m_model.estimate(j.input_json);
    PlanJob p;
    p.state = j.state;
    p.next_at = j.next_at;
    p.submitted_at = j.submitted_at;
    p.predicted = std::max<TimeMs>(1, e.median);
    p.sigma = e.sigma;
    p.last_poll_at = std::max(j.last_poll_at, j.submitted_at);
    p.position = j.position;
    p.take = j.take;
    p.ours = !j.foreign();
    p.hinted = j.hinted;
    out.push_back(p);
  }
  return out;
}

// The API may be rendering a task we never heard of; until a render like it would surely be done,
// it counts against the concurrency cap, or the API would answer our next submit with a 429. Such
// tasks are rare, so the slot is held generously: twice the time by which 90% of renders like it end.
void Runner::hold_unseen_slot(TimeMs since, const std::string& input_json) {
  m_unseen_until.push_back(since + 2 * m_model.estimate(input_json).late);
}

// Requests of the window kept for submits, so a slot seen free is filled at once: one per slot,
// up to a tenth of the budget.
int Runner::submit_reserve() const {
  return std::min(m_config.settings.max_concurrent, m_limiter.cap() / 10);
}

int Runner::unseen_tasks(TimeMs now) {
  std::erase_if(m_unseen_until, [&](TimeMs until) { return until <= now; });
  return static_cast<int>(m_unseen_until.size());
}

// Slots the planner must leave alone: unseen tasks, and tasks given up on, which the API still
// counts while it renders them (a submit into their slot is refused 429, again and again).
int Runner::held_slots(TimeMs now) {
  return std::min(m_config.settings.max_concurrent, unseen_tasks(now) + m_timed_out);
}

// Nothing of ours at the API, jobs still queued, and every slot held by renders past their
// deadline (ours given up on, or another batch's): waiting could last for ever, so the run ends
// and says so; `reelq resume` submits the rest once those renders end.
bool Runner::blocked_by_stale_renders(TimeMs now) const {
  // Asked on every wait of the loop: without enough stale renders to fill the slots, no need to look.
  if (m_timed_out + m_foreign_tasks < m_config.settings.max_concurrent) {
    return false;
  }
  int stale = m_timed_out;
  int queued = 0;
  for (const JobRow& j : m_jobs) {
    bool at_api = j.state == JobState::running || j.state == JobState::submitting;
    if (!j.foreign() && (at_api || j.state == JobState::downloading)) {
      return false;
    }
    queued += !j.foreign() && j.state == JobState::queued ? 1 : 0;
    stale += j.foreign() && at_api && now >= deadline_of(j) ? 1 : 0;
  }
  return queued > 0 && !m_credits_out && m_downloader.in_flight() == 0 && stale >= m_config.settings.max_concurrent;
}

TimeMs Runner::render_deadline() const {
  return scaled(m_config.settings.render_deadline);
}

TimeMs Runner::deadline_of(const JobRow& j) const {
  return j.submitted_at + render_deadline();
}

// While a task's deadline is ahead, no look at it is planned past it: there it is given up on or
// collected. Past it (another batch's task, which this run never gives up on), its own pace holds,
// or it would be asked again at once, every turn of the loop.
TimeMs Runner::by_deadline(const JobRow& j, TimeMs at) const {
  TimeMs deadline = deadline_of(j);
  return deadline > m_clock.now_ms() ? std::min(at, deadline) : at;
}

TimeMs Runner::first_poll_at(const JobRow& j) const {
  if (m_config.settings.request_type == RequestType::callback) {
    return fallback_poll_at(j);
  }
  RenderEstimate e = m_model.estimate(j.input_json);
  // Until renders have been seen, follow the setting (the API page says 120 s); then start
  // polling when the fastest tenth of similar renders would be done.
  TimeMs wait = e.learned ? e.early : scaled(m_config.settings.poll_initial);
  return by_deadline(j, j.submitted_at + std::max(wait, scaled(m_config.settings.poll_interval)));
}

TimeMs Runner::next_poll_at(const JobRow& j) const {
  if (m_config.settings.request_type == RequestType::callback) {
    return fallback_poll_at(j);
  }
  TimeMs now = m_clock.now_ms();
  RenderEstimate e = m_model.estimate(j.input_json);
  TimeMs interval = scaled(m_config.settings.poll_interval);
  TimeMs elapsed = now - j.submitted_at;
  TimeMs next = now + interval;
  if (elapsed < e.early) {
    next = std::max(now + interval, j.submitted_at + e.early);
  } else if (elapsed > e.late) {
    // Overdue (past the time by which 90% of such renders end): an outlier, perhaps stuck. Each
    // look comes later than the last, from the predicted end, so it cannot take the budget of
    // healthy tasks, whose polls the planner ranks below its "long overdue" score.
    next = now + std::clamp((elapsed - e.late) / k_overdue_divisor, interval,
                            std::max(interval, scaled(k_overdue_poll_cap_s)));
  }
  // Between these two a task is more likely done with every look, not less: keep the pace, and
  // let the planner's ordering decide who gets the budget when it is short. Whatever the pace,
  // one last look at the deadline.
  return by_deadline(j, next);
}

// Callback mode: the callback says when to look, and polls only catch callbacks that never come
// (apixo delivers at least once, or not at all). None before the task's late estimate (about its
// 90th percentile) plus a grace for a retried delivery, then one every grace period.
TimeMs Runner::fallback_poll_at(const JobRow& j) const {
  RenderEstimate e = m_model.estimate(j.input_json);
  TimeMs grace = std::max({scaled(30), e.median / 4, scaled(m_config.settings.poll_interval)});
  TimeMs first = j.submitted_at + std::max(e.late, e.median) + grace;
  return by_deadline(j, std::max(first, m_clock.now_ms() + grace));
}

// Hints mark known running tasks for one status query; the query decides, never the callback.
// A hint for a task this run does not know, or that has ended, changes nothing.
void Runner::absorb_inbox() {
  if (!m_config.inbox) {
    return;
  }
  InboxItems items = m_config.inbox->take();
  for (const auto& note : items.notes) {
    m_observer.log(LogLevel::warn, note);
  }
  for (const auto& task_id : items.hints) {
    auto it = std::find_if(m_jobs.begin(), m_jobs.end(),
                           [&](const JobRow& j) { return j.state == JobState::running && j.task_id == task_id; });
    if (it != m_jobs.end()) {
      it->hinted = true;
    }
  }
}

void Runner::wait(TimeMs ms) {
  if (m_config.inbox) {
    m_config.inbox->wait_ms(ms);
  } else {
    m_clock.sleep_ms(ms);
  }
}

void Runner::on_answer(const Answer& a) {
  m_observer.in_flight("");
  if (a.kind == AnswerKind::unreachable) {
    on_unreachable(a);
    return;  // it never reached the server: no budget spent, nothing learned about the rate
  }
  if (m_outage.not_sent > 0) {
    Reachability back = reachability();
    back.reachable = true;
    m_outage = {};
    m_observer.reachability(back);
  }
  m_limiter.record(m_clock.now_ms());
  if (a.kind == AnswerKind::rate_limited) {
    on_rate_limited(a);
  } else if (a.sent) {
    m_consecutive_429 = 0;
    m_limiter.on_accepted();
  }
  if (a.kind == AnswerKind::unauthorized) {
    m_key_refused = true;
    m_failure_message = fmt::format("the API refused the key (HTTP {}): {}", a.http_status, a.message);
    m_observer.log(LogLevel::error, m_failure_message);
  }
}

// A 429 slows the whole run: no request until the pause ends, and a lower rate after it.
void Runner::on_rate_limited(const Answer& a) {
  ++m_consecutive_429;
  m_limiter.on_rate_limited();
  TimeMs wait = a.retry_after_ms ? *a.retry_after_ms : m_backoff_429.delay(m_consecutive_429);
  const TimeMs cap = scaled(k_max_retry_after_s);
  if (a.retry_after_ms && wait > cap) {
    m_pause_until = std::max(m_pause_until, m_clock.now_ms() + cap);
    m_observer.log(LogLevel::warn, fmt::format("rate limited (429): Retry-After asks {} ms; pausing {} ms, the most "
                                               "reelq waits, then going on at a lower rate",
                                               wait, cap));
    return;
  }
  m_pause_until = std::max(m_pause_until, m_clock.now_ms() + wait);
  m_observer.log(LogLevel::warn, fmt::format("rate limited (429): pausing {} ms{}", wait,
                                             a.retry_after_ms ? " as Retry-After asks" : ""));
}

// Nothing could leave this machine: the whole run pauses, longer each time, as for a 429; the
// request that failed is nobody's attempt.
void Runner::on_unreachable(const Answer& a) {
  TimeMs now = m_clock.now_ms();
  if (m_outage.not_sent++ == 0) {
    m_outage.since = now;
    m_outage.noted_at = now;
    m_outage.reason = a.message;
    m_observer.reachability(reachability());
  }
  m_outage.reason = a.message;
  m_pause_until = std::max(m_pause_until, now + m_backoff_unreachable.delay(m_outage.not_sent));
}

// About once a minute while the API stays away.
void Runner::note_outage() {
  TimeMs now = m_clock.now_ms();
  if (m_outage.not_sent > 0 && now - m_outage.noted_at >= scaled(k_outage_note_s)) {
    m_outage.noted_at = now;
    m_observer.reachability(reachability());
  }
}

Reachability Runner::reachability() const {
  Reachability r;
  r.down_for = m_outage.not_sent > 0 ? m_clock.now_ms() - m_outage.since : 0;
  r.reason = m_outage.reason;
  r.requests_not_sent = m_outage.not_sent;
  for (const auto& j : m_jobs) {
    r.running += j.state == JobState::running ? 1 : 0;
    r.queued += j.state == JobState::queued || j.state == JobState::submitting ? 1 : 0;  // mid-submit: back soon
  }
  return r;
}

void Runner::submit(size_t i) {
  JobRow& j = m_jobs[i];
  std::string body = generate_body(with_image_urls(j.input_json, m_config.image_urls), m_config.settings.request_type,
                                   m_config.callback_url);
  auto claimed = m_store.begin_submit(j.id, body);
  if (!claimed) {
    m_storage_failed = true;
    m_failure_message = claimed.error().message;
    return;
  }
  if (*claimed != JobState::submitting) {
    // Changed under us (`reelq cancel` while this run drains): not ours to submit any more.
    j.state = *claimed;
    say(LogLevel::info, "not_submitted", j, fmt::format("{} meanwhile; not submitted", to_string(j.state)));
    return;
  }
  j.state = JobState::submitting;
  m_observer.in_flight(fmt::format("the submit of {}", describe(j)));
  SubmitResult r = m_api.submit(m_config.model, body);
  on_answer(r.answer);
  TimeMs now = m_clock.now_ms();
  EventRecord e = event_of("generateTask", r.answer, r.task_id);
  JobUpdate u;
  switch (r.answer.kind) {
    case AnswerKind::ok:
      j.state = JobState::running;
      j.task_id = r.task_id;
      j.submitted_at = now;
      j.next_at = first_poll_at(j);
      u.state = j.state;
      u.task_id = j.task_id;
      u.submitted_at = now;
      u.next_at = j.next_at;
      u.attempts = ++j.attempts;
      if (!write(j.id, u, &e)) {
        say(LogLevel::error, "not_recorded", j,
            fmt::format("task {} was created but could not be recorded: {}", r.task_id, m_failure_message));
        return;
      }
      say(LogLevel::info, "submitted", j, fmt::format("submitted as {}", j.task_id));
      return;
    case AnswerKind::rate_limited:
    case AnswerKind::unreachable:
    case AnswerKind::unauthorized:
    case AnswerKind::credits_exhausted:
      // Not the job's fault: back in the queue, attempt not counted.
      u.state = j.state = JobState::queued;
      if (r.answer.kind == AnswerKind::credits_exhausted && !m_credits_out) {
        m_credits_out = true;
        m_observer.log(LogLevel::warn, fmt::format("credits exhausted ({}); no more submits, collecting what is "
                                                   "running",
                                                   r.answer.message));
      }
      write(j.id, u, &e);
      return;
    case AnswerKind::content_rejected:
    case AnswerKind::invalid_request:
    case AnswerKind::not_found:
      u.state = j.state = JobState::failed;
      u.fail_code = r.answer.kind == AnswerKind::content_rejected ? r.answer.fail_code : "INVALID_REQUEST";
      u.fail_msg = r.answer.message;
      u.completed_at = now;
      u.attempts = ++j.attempts;
      write(j.id, u, &e);
      say(LogLevel::warn, "failed_at_submit", j,
          fmt::format("failed at submit: {} ({})", *u.fail_code, r.answer.message), *u.fail_code);
      return;
    case AnswerKind::created_unnamed:
      // The task exists (it holds a slot) and is paid for: sending the submit again pays twice.
      hold_unseen_slot(now, j.input_json);
      u = hold_unnamed_task(r.answer.message, ++j.attempts, now);
      j.state = JobState::failed;
      write(j.id, u, &e);
      say(LogLevel::warn, "failed_at_submit", j, *u.fail_msg, *u.fail_code);
      return;
    case AnswerKind::transient:
    case AnswerKind::ambiguous:
    case AnswerKind::unusable:  // only status answers are; listed so a new kind cannot slip through
      break;
  }
  u.attempts = ++j.attempts;
  bool ambiguous = r.answer.kind == AnswerKind::ambiguous;
  if (ambiguous) {
    hold_unseen_slot(now, j.input_json);
  }
  if (ambiguous && m_config.settings.on_ambiguous == OnAmbiguous::hold) {
    u.state = j.state = JobState::failed;
    u.fail_code = "AMBIGUOUS_SUBMIT";
    u.fail_msg = fmt::format("{}; held (--on-ambiguous=hold): `reelq retry` resubmits it", r.answer.message);
    u.completed_at = now;
  } else if (j.attempts >= m_config.settings.max_attempts) {
    u.state = j.state = JobState::failed;
    u.fail_code = "RETRIES_EXHAUSTED";
    u.fail_msg = fmt::format("after {} attempts: {}", j.attempts, r.answer.message);
    u.completed_at = now;
  } else {
    u.state = j.state = JobState::queued;
    u.next_at = j.next_at = now + m_backoff.delay(j.attempts);
    if (ambiguous) {
      u.ambiguous = j.ambiguous = true;
      u.note = "possible duplicate charge";
    }
  }
  write(j.id, u, &e);
  say(LogLevel::warn, j.state == JobState::failed ? "failed_at_submit" : "submit_retry", j,
      fmt::format("submit {} ({}){}", to_string(r.answer.kind), r.answer.message,
                  j.state == JobState::failed ? ": gave up" : ""),
      u.fail_code.value_or(""));
}

void Runner::say(LogLevel level, const char* event, const JobRow& j, const std::string& message,
                 const std::string& fail_code) {
  m_observer.event({level, event, j.job_id, j.take, j.task_id, fail_code, describe(j) + ": " + message});
}

void Runner::poll(size_t i) {
  JobRow& j = m_jobs[i];
  j.hinted = false;  // this query is the one the hint asked for
  m_observer.in_flight(fmt::format("a status poll of {} ({})", describe(j), j.task_id));
  StatusResult r = m_api.status(j.foreign() ? j.foreign_model : m_config.model, j.task_id);
  on_answer(r.answer);
  TimeMs now = m_clock.now_ms();
  EventRecord e = event_of("statusTask", r.answer, j.task_id);
  if (r.answer.kind == AnswerKind::unusable) {
    on_unusable_status(j, r.answer, e, now);
    return;
  }
  JobUpdate u;
  if (r.answer.kind == AnswerKind::unreachable) {
    write(j.id, u, &e);  // not a look at the task: the run pauses; no counter moves
    return;
  }
  j.last_poll_at = now;
  // Only 404s in a row mean the API lost the task; any other answer shows it still answers for it.
  NotFoundStreak streak;
  if (r.answer.kind == AnswerKind::not_found) {
    NotFoundStreak& kept = m_not_found.try_emplace(j.id, NotFoundStreak{now, 0}).first->second;
    ++kept.count;
    streak = kept;
  } else {
    m_not_found.erase(j.id);
  }
  if (r.answer.kind != AnswerKind::ok) {
    int& errors = m_poll_errors[j.id];
    ++errors;
    if (streak.count >= k_not_found_min_answers && j.foreign()) {
      // Not at this API (a batch of an older reelq records none): it holds no slot here. Its row
      // is its own batch's to settle, by its own run against its own API.
      j.state = JobState::cancelled;  // in memory only: no longer counted nor polled
      m_observer.log(LogLevel::info,
                     fmt::format("{}: task {} is not at this API; not counted", describe(j), j.task_id));
    } else if (task_lost(streak, now, scaled(k_not_found_stretch_s))) {
      u.state = j.state = JobState::failed;
      u.fail_code = "TASK_NOT_FOUND";
      // In the API's time, as the stretch is set.
      auto api_time = static_cast<TimeMs>(static_cast<double>(now - streak.first_at) / m_config.settings.time_scale);
      u.fail_msg = fmt::format("the API said it does not know task {} for {} ({} answers in a row)", j.task_id,
                               format_duration(api_time), streak.count);
      u.completed_at = now;
    } else if (r.answer.kind != AnswerKind::rate_limited && !j.foreign() && now >= deadline_of(j)) {
      time_out(j, fmt::format("its status could not be read ({})", r.answer.message), e);
      return;
    } else if (r.answer.kind != AnswerKind::rate_limited) {
      // The task is still the API's: keep asking, more slowly. A poll error never fails a job.
      u.next_at = j.next_at = now + m_backoff.delay(errors);
    }
    write(j.id, u, &e);
    return;
  }
  m_poll_errors.erase(j.id);
  m_unusable_polls.erase(j.id);
  const TaskStatus& s = *r.status;
  e.message = s.raw_state;
  u.api_create_time = s.create_time;
  u.api_complete_time = s.complete_time;
  LearnedRender learned = learned_render(s, now - j.submitted_at, render_deadline());
  u.cost_time_ms = learned.cost_time;
  if (s.state == TaskState::success) {
    m_model.observe(j.input_json, learned.took);
    u.state = j.state = JobState::downloading;
    u.result_urls = j.result_urls = json_string_array(s.result_urls);
    if (write(j.id, u, &e)) {
      start_download(i);
    }
  } else if (s.state == TaskState::failed) {
    u.state = j.state = JobState::failed;
    u.fail_code = s.fail_code.empty() ? "FAILED" : s.fail_code;
    u.fail_msg = s.fail_msg;
    u.completed_at = now;
    write(j.id, u, &e);
    say(LogLevel::warn, "failed", j, fmt::format("failed: {} {}", *u.fail_code, s.fail_msg), *u.fail_code);
  } else {
    if (s.state == TaskState::unknown) {
      say(LogLevel::warn, "unknown_state", j, fmt::format("unknown state '{}', treated as running", s.raw_state));
    }
    // Another batch's task is its own run's to give up on; here it only holds its slot.
    if (!j.foreign() && now >= deadline_of(j)) {
      time_out(j, fmt::format("still {}", s.raw_state), e);
      return;
    }
    u.next_at = j.next_at = next_poll_at(j);
    write(j.id, u, &e);
  }
}

// An answer about another task, or a success without a result that can be fetched, is asked again
// (a gateway may have crossed two answers; a result may be written late). When it stays so, the
// take stops waiting with its taskId kept: it never keeps a run alive, never settles the take with
// what the answer said, and `reelq retry` asks again instead of paying for a new render.
void Runner::on_unusable_status(JobRow& j, const Answer& a, EventRecord& e, TimeMs now) {
  const int count = ++m_unusable_polls[j.id];  // a copy: the entry is erased below
  JobUpdate u;
  if (count < k_unusable_limit) {
    u.next_at = j.next_at = now + m_backoff.delay(count);
    write(j.id, u, &e);
    say(LogLevel::warn, "unusable_answer", j, fmt::format("{}; asking again", a.message));
    return;
  }
  m_unusable_polls.erase(j.id);
  if (j.foreign()) {
    // Another batch's row is its own run's to settle; this run stops counting and polling it.
    j.state = JobState::cancelled;  // in memory only
    write(j.id, u, &e);
    m_observer.log(LogLevel::warn, fmt::format("{}: {}; not counted", describe(j), a.message));
    return;
  }
  u.state = j.state = JobState::failed;
  u.fail_code = a.fail_code;
  u.fail_msg = fmt::format(
      "{} ({} times); task {} kept: `reelq retry --fail-code {}` asks again without "
      "resubmitting",
      a.message, count, j.task_id, a.fail_code);
  u.completed_at = now;
  write(j.id, u, &e);
  say(LogLevel::warn, "failed", j, fmt::format("failed: {} {}", *u.fail_code, *u.fail_msg), *u.fail_code);
}

// The render deadline passed: stop waiting for the task. Its taskId stays, so `reelq resume`
// asks the API again and a late result is still collected.
void Runner::time_out(JobRow& j, const std::string& why, const EventRecord& e) {
  TimeMs now = m_clock.now_ms();
  JobUpdate u;
  u.state = j.state = JobState::failed;
  u.fail_code = "RENDER_TIMEOUT";
  // In the API's time (as render_deadline is set), not the time-scaled wall clock of a rehearsal.
  auto api_time = static_cast<TimeMs>(static_cast<double>(now - j.submitted_at) / m_config.settings.time_scale);
  u.fail_msg = fmt::format("{} {} after submit (render_deadline); task {} kept: `reelq resume` asks the API again", why,
                           format_duration(api_time), j.task_id);
  u.completed_at = now;
  ++m_timed_out;
  m_poll_errors.erase(j.id);
  m_not_found.erase(j.id);
  if (write(j.id, u, &e)) {
    say(LogLevel::warn, "timed_out", j, fmt::format("RENDER_TIMEOUT: {}", *u.fail_msg), "RENDER_TIMEOUT");
  }
}

void Runner::start_download(size_t i) {
  const JobRow& j = m_jobs[i];
  DownloadTask t;
  t.row = j.id;
  t.job_id = j.job_id;
  t.take = j.take;
  t.urls = parse_json_string_array(j.result_urls);
  if (j.foreign()) {
    if (j.foreign_output_dir.empty()) {
      return;  // no folder recorded for it: left `downloading` for its batch's resume or `reelq download`
    }
    t.output_dir = j.foreign_output_dir;
  }
  if (auto done = m_store.files(j.id)) {
    t.done = std::move(done.value());
  }
  m_downloader.start(std::move(t));
}

void Runner::absorb_downloads() {
  for (const DownloadResult& r : m_downloader.take_finished()) {
    auto it = std::find_if(m_jobs.begin(), m_jobs.end(), [&](const JobRow& j) { return j.id == r.row; });
    if (it == m_jobs.end()) {
      continue;
    }
    auto state = record_download(m_store, r, it->task_id, m_clock.now_ms());
    if (!state) {
      m_storage_failed = true;
      m_failure_message = state.error().message;
      return;
    }
    it->state = *state;
    for (const std::string& note : r.notes) {
      say(LogLevel::warn, "download_note", *it, note);
    }
    if (r.failure == DownloadFailure::disk_full) {
      // Every further download would fail the same way: stop the run, keep the take, say why.
      say(LogLevel::error, "disk_full", *it,
          fmt::format("download stopped, the disk is full: {}; the take stays downloading", r.error));
      if (!m_disk_full) {
        m_disk_full = true;
        m_failure_message = r.error;
      }
    } else if (r.ok) {
      say(LogLevel::info, "done", *it,
          fmt::format("done ({})", count_of(static_cast<long long>(r.files.size()), "file")));
    } else {
      say(LogLevel::warn, "download_failed", *it, fmt::format("download failed: {}", r.error),
          it->state == JobState::failed ? "DOWNLOAD_FAILED" : "");
    }
  }
}

void Runner::report_progress() {
  TimeMs now = m_clock.now_ms();
  if (now - m_last_progress < 100) {
    return;
  }
  m_last_progress = now;
  Progress p;
  TimeMs remaining = 0;        // render time still to come, over every task of ours
  TimeMs longest_running = 0;  // of the tasks at the API now: none can end before it does
  for (const auto& j : m_jobs) {
    if (j.foreign()) {
      continue;  // the progress line is this batch's
    }
    switch (j.state) {
      case JobState::succeeded:
        ++p.succeeded;
        break;
      case JobState::failed:
      case JobState::cancelled:
        ++p.failed;
        break;
      case JobState::running:
      case JobState::submitting: {
        ++p.running;
        RenderEstimate e = m_model.estimate(j.input_json);
        if (j.state == JobState::running && now - j.submitted_at > e.late) {
          ++p.overdue;  // no honest guess of its end: it counts towards "?" below, not "0"
        } else {
          TimeMs left = std::max<TimeMs>(0, e.median - (now - j.submitted_at));
          remaining += left;
          longest_running = std::max(longest_running, left);
        }
        break;
      }
      case JobState::downloading:
        ++p.downloading;
        break;
      case JobState::queued:
        ++p.queued;
        remaining += m_model.estimate(j.input_json).median;
        break;
    }
  }
  p.requests_in_window = m_limiter.used(now);
  p.request_budget = m_limiter.cap();
  // The batch ends no sooner than its longest running task, nor than the work left spread over
  // every slot (summing and dividing alone said "ETA 0ms" with seven tasks running).
  p.eta_ms = remaining == 0 && p.overdue > 0
                 ? -1
                 : std::max(longest_running, remaining / std::max(1, m_config.settings.max_concurrent));
  m_observer.progress(p);
}

RunSummary Runner::summarize(TimeMs started) {
  RunSummary s;
  s.elapsed_ms = m_clock.now_ms() - started;
  auto counts = m_store.counts(m_config.batch);
  if (counts) {
    s.succeeded = counts->by_state[JobState::succeeded];
    s.failed = counts->by_state[JobState::failed];
    s.cancelled = counts->by_state[JobState::cancelled];
    for (auto [state, n] : counts->by_state) {
      s.left += is_final(state) ? 0 : n;
    }
    s.failures_by_code = counts->failures_by_code;
  }
  s.message = m_failure_message;
  if (m_storage_failed || !counts) {
    s.end = RunEnd::storage_failed;
    if (!counts) {
      s.message = counts.error().message;
    }
  } else if (m_key_refused) {
    s.end = RunEnd::key_refused;
  } else if (m_disk_full) {
    s.end = RunEnd::disk_full;
  } else if (m_stop.load() > 0) {
    s.end = RunEnd::interrupted;
  } else if (m_credits_out && s.left > 0) {
    s.end = RunEnd::credits_exhausted;
  } else if (m_slots_held && s.left > 0) {
    s.end = RunEnd::slots_held;
    s.message = fmt::format("{} left queued: every one of the {} slots is held by a render past its deadline",
                            count_of(s.left, "job"), m_config.settings.max_concurrent);
    m_observer.log(LogLevel::warn, s.message);
  } else if (s.left > 0) {
    // The planner found nothing to do with rows still open: never report that as a success.
    s.end = RunEnd::interrupted;
    s.message = fmt::format("{} jobs were left open unexpectedly", s.left);
    m_observer.log(LogLevel::error, s.message);
  }
  return s;
}

}  // namespace reelq
