// Start-up: what an earlier run left behind, restored before anything is sent. Rows left mid-way,
// tasks of other batches holding the key's slots, the requests of the last minute, the submits
// whose fate is unknown, and the render times learned so far.
#include <fmt/format.h>

#include "sched/render_time.h"
#include "sched/runner.h"
#include "util/text.h"

namespace reelq {

bool Runner::start_up(TimeMs started) {
  // Tasks given up on by an earlier run may have ended since: look again (their taskId was kept).
  if (auto reopened = m_store.reopen_timed_out(m_config.batch); reopened && *reopened > 0) {
    m_observer.log(LogLevel::info, fmt::format("{} task{} that timed out earlier: asking the API again", *reopened,
                                               *reopened == 1 ? "" : "s"));
  }
  // Tasks given up with --drop-key whose key this run has again: polled, never paid for twice.
  std::vector<std::string> fps;
  for (const KeyLane& lane : m_lanes) {
    if (!lane.key.fingerprint.empty()) {
      fps.push_back(lane.key.fingerprint);
    }
  }
  if (auto back = m_store.reopen_dropped(m_config.batch, fps); back && *back > 0) {
    m_observer.log(LogLevel::info,
                   fmt::format("{} given up earlier with --drop-key {} made with a key this run has: "
                               "asking the API about {} again",
                               count_of(*back, "task"), *back == 1 ? "was" : "were", *back == 1 ? "it" : "them"));
  }
  auto jobs = m_store.unfinished_jobs(m_config.batch);
  if (!jobs) {
    m_storage_failed = true;
    m_failure_message = jobs.error().message;
    return false;
  }
  for (JobRow& row : *jobs) {
    add_job(std::move(row));
  }
  // Recorded before anything is sent: `resume` comes back to this API, and what this run learns of
  // render times is read at this run's scale.
  if (auto st = m_store.record_api(m_config.batch, m_config.settings.api_base, m_config.settings.time_scale); !st) {
    m_storage_failed = true;
    m_failure_message = st.error().message;
    return false;
  }
  if (auto seen = m_store.observed_renders(m_config.settings.api_base, m_config.settings.time_scale)) {
    for (const ObservedRender& r : *seen) {
      m_model.observe(m_model.class_of(r.input_json),
                      bound_render_time(r.took, r.lifetime, m_rules.timing.render_deadline).value_or(0));
    }
  }
  // Each key's requests of the last minute (a request of a task made with another key is not this
  // key's; one that names no key, a balance read or a row from before keys were recorded, counts
  // for every key). A run that was killed may have had requests on the wire that no event
  // records: as many as it could have had in flight.
  for (KeyLane& lane : m_lanes) {
    auto recent = m_store.recent_requests(started - lane.window.window(),
                                          m_lanes.size() == 1 ? std::string() : lane.key.fingerprint);
    lane.window.restore(recent ? *recent : std::vector<TimeMs>{}, started, std::max(1, m_config.max_in_flight));
  }
  // Tasks an earlier run may have created without learning their taskId still hold their key's slots.
  if (auto unseen = m_store.recent_ambiguous_submits(started - scaled(3600))) {
    for (const RunStore::AmbiguousSubmit& u : *unseen) {
      // Not from a future a clock that was ahead gave it.
      hold_unseen_slot(lane_of(u.key_fp), std::min(u.at, started), m_model.class_of(u.input_json));
    }
  }
  recover();
  adopt_foreign_tasks();
  if (!open_spend_cap()) {
    return false;
  }
  return !m_storage_failed;
}

size_t Runner::add_job(JobRow row) {
  RenderModel::ClassId cls = m_model.class_of(row.input_json);
  const int lane = lane_of(row.key_fp);
  return m_jobs.add(std::move(row), cls, lane);
}

// Rows left mid-way by an earlier run: a `submitting` row's request may or may not have reached
// the API; a `running` row is polled soon; a `downloading` row's files are fetched again.
void Runner::recover() {
  TimeMs now = m_clock.now_ms();
  for (size_t i = 0; i < m_jobs.size(); ++i) {
    const JobState state = m_jobs[i].row.state;
    if (state == JobState::submitting) {
      Answer a;
      a.kind = AnswerKind::ambiguous;
      a.message = "found mid-submit after a restart; the task may exist";
      JobUpdate u;
      m_jobs.change(i, [&](RunJob& j) {
        u.attempts = ++j.row.attempts;
        if (m_config.settings.on_ambiguous == OnAmbiguous::hold) {
          u.state = j.row.state = JobState::failed;
          u.fail_code = "AMBIGUOUS_SUBMIT";
          u.fail_msg = "submit sent without an answer; held (--on-ambiguous=hold): `reelq retry` resubmits it";
          u.completed_at = now;
        } else {
          u.state = j.row.state = JobState::queued;
          u.ambiguous = j.row.ambiguous = true;
          u.note = "possible duplicate charge";
          u.next_at = j.row.next_at = now;
        }
      });
      EventRecord e{"recovery", a.http_status, a.body_code, a.message, "", std::string(to_string(a.kind))};
      say(LogLevel::warn, "ambiguous", m_jobs[i].row, a.message);
      write(m_jobs[i].row.id, u, &e);
      hold_unseen_slot(m_jobs[i].lane, now, m_jobs[i].cls);
    } else if (state == JobState::running) {
      m_jobs.change(i, [&](RunJob& j) { j.row.next_at = std::min(j.row.next_at > 0 ? j.row.next_at : now, now); });
    } else if (state == JobState::queued) {
      // No backoff is longer than this: one stored by a wall clock that was ahead is not waited out.
      m_jobs.change(i, [&](RunJob& j) { j.row.next_at = std::min(j.row.next_at, now + scaled(60)); });
    } else if (state == JobState::downloading) {
      start_download(i);
    }
  }
}

// The concurrency cap is the key's, not the batch's: tasks another batch of this database left at
// the same API (stopped with tasks running) hold slots too. They are polled like ours, so their
// slots free when they end, and collected into their own batch's rows and folder; a task whose
// fate is unknown (their row mid-submit) holds a slot as ours do.
void Runner::adopt_foreign_tasks() {
  for (size_t k = 0; k < m_lanes.size(); ++k) {
    auto foreign = m_store.foreign_active_jobs(m_config.batch, m_config.settings.api_base, m_lanes[k].key.fingerprint);
    if (!foreign) {
      m_storage_failed = true;
      m_failure_message = foreign.error().message;
      return;
    }
    TimeMs now = m_clock.now_ms();
    for (JobRow& j : *foreign) {
      if (j.key_fp.empty() && k > 0) {
        continue;  // made before keys were recorded: the first key's (lane_of), adopted once
      }
      if (j.state == JobState::submitting) {
        hold_unseen_slot(static_cast<int>(k), now, m_model.class_of(j.input_json));
        continue;
      }
      j.next_at = std::min(j.next_at > 0 ? j.next_at : now, now);
      m_observer.log(LogLevel::info, fmt::format("{}: task {} holds one of {}'s slots; polling it", take_name(j),
                                                 j.task_id, m_lanes.size() == 1 ? "the API" : m_lanes[k].key.name));
      add_job(std::move(j));  // lane_of(its key) is k: it was asked for by k's fingerprint
      ++m_foreign_tasks;
    }
  }
}

// The API may be rendering a task we never heard of; until a render like it would surely be done,
// it counts against the concurrency cap, or the API would answer our next submit with a 429. Such
// tasks are rare, so the slot is held generously: twice the time by which 90% of renders like it end.
void Runner::hold_unseen_slot(int lane, TimeMs since, RenderModel::ClassId cls) {
  if (lane < 0) {
    return;  // not one of this run's keys: its slots are not this run's to count
  }
  m_lanes[static_cast<size_t>(lane)].holds.hold_until(since + 2 * m_model.estimate(cls).late);
}

}  // namespace reelq
