#include "queue/operations.h"

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>

#include "queue/database.h"
#include "util/json_strings.h"
#include "util/text.h"

namespace reelq {

namespace {

struct Selected {
  std::int64_t id = 0;
  std::string job_id;
  JobState state = JobState::queued;
  std::string fail_code;
  std::string fail_msg;
  std::string task_id;
  bool has_results = false;
};

// The rows `sel` names, checking that every --job and the batch exist.
Result<std::vector<Selected>> select_rows(SQLite::Database& db, const JobSelector& sel) {
  if (sel.batch) {
    SQLite::Statement b(db, "SELECT 1 FROM batches WHERE name = ?");
    b.bind(1, *sel.batch);
    if (!b.executeStep()) {
      return Error{ErrorKind::usage, fmt::format("no batch named '{}' in this database", *sel.batch)};
    }
  }
  SQLite::Statement q(db,
                      "SELECT id, job_id, state, coalesce(fail_code, ''), coalesce(fail_msg, ''), "
                      "coalesce(task_id, ''), coalesce(result_urls, '') NOT IN ('', '[]') FROM jobs "
                      "WHERE ?1 IS NULL OR batch = ?1 ORDER BY batch, position, take");
  if (sel.batch) {
    q.bind(1, *sel.batch);
  }
  std::set<std::string> wanted(sel.job_ids.begin(), sel.job_ids.end());
  std::set<std::string> codes(sel.fail_codes.begin(), sel.fail_codes.end());
  std::set<std::string> seen;
  std::vector<Selected> out;
  while (q.executeStep()) {
    Selected s;
    s.id = q.getColumn(0).getInt64();
    s.job_id = q.getColumn(1).getString();
    s.state = parse_job_state(q.getColumn(2).getString()).value_or(JobState::queued);
    s.fail_code = q.getColumn(3).getString();
    s.fail_msg = q.getColumn(4).getString();
    s.task_id = q.getColumn(5).getString();
    s.has_results = q.getColumn(6).getInt() != 0;
    if (!wanted.empty() && !wanted.contains(s.job_id)) {
      continue;
    }
    seen.insert(s.job_id);
    if (!codes.empty() && !codes.contains(s.fail_code)) {
      continue;
    }
    out.push_back(std::move(s));
  }
  std::string unknown;
  for (const auto& id : wanted) {
    if (!seen.contains(id)) {
      unknown += (unknown.empty() ? "" : ", ") + id;
    }
  }
  if (!unknown.empty()) {
    return Error{ErrorKind::usage, fmt::format("no job {} in {}; nothing was changed", unknown,
                                               sel.batch ? "batch '" + *sel.batch + "'" : "this database")};
  }
  return out;
}

void add_event(SQLite::Database& db, std::int64_t row, TimeMs at, const std::string& endpoint,
               const std::string& message, const std::string& task_id, const std::string& outcome) {
  SQLite::Statement e(db,
                      "INSERT INTO events (job, at, endpoint, message, task_id, outcome) VALUES (?, ?, ?, ?, "
                      "nullif(?, ''), ?)");
  e.bind(1, row);
  e.bind(2, at);
  e.bind(3, endpoint);
  e.bind(4, message);
  e.bind(5, task_id);
  e.bind(6, outcome);
  e.exec();
}

// A --fail-code that no failed take has is most likely a typo (CONTENT-VIOLATION): a usage error
// naming the codes there are, rather than "nothing to retry". `all` are the selection's rows before
// the fail-code filter.
std::optional<Error> unknown_fail_code(const JobSelector& sel, const std::vector<Selected>& all) {
  std::map<std::string, int> present;
  for (const Selected& s : all) {
    if (s.state == JobState::failed) {
      ++present[s.fail_code];
    }
  }
  for (const std::string& code : sel.fail_codes) {
    if (present.contains(code) || present.empty()) {
      continue;
    }
    std::vector<std::string> known;
    std::string listed;
    for (const auto& [c, n] : present) {
      known.push_back(c);
      listed += fmt::format("{}{} ({})", listed.empty() ? "" : ", ", c, n);
    }
    std::string near = nearest_word(code, known);
    return Error{ErrorKind::usage,
                 fmt::format("no failed take has fail code '{}'{}; the failed takes have: {}. Nothing was changed",
                             code, near.empty() ? "" : fmt::format(" (did you mean '{}'?)", near), listed)};
  }
  return std::nullopt;
}

}  // namespace

Result<RetryOutcome> retry_failed(SQLite::Database& db, Clock& clock, const JobSelector& sel) {
  try {
    // IMMEDIATE: these transactions read, then write, possibly while a runner writes too; a
    // deferred one would fail at once (SQLITE_BUSY_SNAPSHOT) instead of waiting its turn.
    SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
    // One read of the selection; the fail codes are applied here, after looking for a typo in them.
    JobSelector any_code = sel;
    any_code.fail_codes.clear();
    auto rows = select_rows(db, any_code);
    if (!rows) {
      return rows.error();
    }
    if (auto typo = unknown_fail_code(sel, *rows)) {
      return *typo;
    }
    if (!sel.fail_codes.empty()) {
      std::set<std::string> codes(sel.fail_codes.begin(), sel.fail_codes.end());
      std::erase_if(*rows, [&](const Selected& s) { return !codes.contains(s.fail_code); });
    }
    RetryOutcome out;
    TimeMs now = clock.now_ms();
    // A take whose task is still the API's goes back to `downloading` or `running`, never to the API.
    SQLite::Statement reopen(db,
                             "UPDATE jobs SET state = ?, fail_code = NULL, fail_msg = NULL, completed_at = NULL, "
                             "next_at = NULL, updated_at = ? WHERE id = ?");
    auto reopen_as = [&](const Selected& s, JobState state, const std::string& was, const char* outcome) {
      reopen.bind(1, std::string(to_string(state)));
      reopen.bind(2, now);
      reopen.bind(3, s.id);
      reopen.exec();
      reopen.reset();
      add_event(db, s.id, now, "retry", was, s.task_id, outcome);
    };
    // A resubmitted take starts over at the API; what it was is kept in the events table.
    SQLite::Statement requeue(
        db,
        "UPDATE jobs SET state = 'queued', task_id = NULL, attempts = 0, fail_code = NULL, fail_msg = NULL, "
        "next_at = NULL, submitted_at = NULL, completed_at = NULL, api_create_time = NULL, api_complete_time = NULL, "
        "cost_time_ms = NULL, result_urls = NULL, ambiguous = ambiguous OR ?, "
        "note = CASE WHEN ? != '' THEN ? WHEN state = 'cancelled' THEN NULL ELSE note END, "
        "updated_at = ? WHERE id = ?");
    SQLite::Statement drop_files(db, "DELETE FROM files WHERE job = ?");
    for (const Selected& s : *rows) {
      bool cancelled = s.state == JobState::cancelled && sel.include_cancelled && sel.fail_codes.empty();
      if (s.state != JobState::failed && !cancelled) {
        out.not_failed += sel.job_ids.empty() ? 0 : 1;
        continue;
      }
      std::string was = cancelled ? "was cancelled" : fmt::format("was {}: {}", s.fail_code, s.fail_msg);
      if (s.fail_code == "DOWNLOAD_FAILED" && s.has_results) {
        reopen_as(s, JobState::downloading, was, "download_again");
        ++out.to_download;
        continue;
      }
      if (fail_keeps_task(s.fail_code) && !s.task_id.empty()) {
        reopen_as(s, JobState::running, was, "ask_again");
        ++out.to_poll;
        continue;
      }
      bool ambiguous = s.fail_code == "AMBIGUOUS_SUBMIT";
      // A task the API gave an id for existed: if a lagging replica was all that said 404, the
      // old task renders beside the new one.
      bool dropped = s.fail_code == "KEY_DROPPED";
      bool lost = s.fail_code == "TASK_NOT_FOUND" || dropped;
      bool unnamed = s.fail_code == k_task_id_unusable;
      std::string note = ambiguous || lost ? "possible duplicate charge"
                         : unnamed         ? "charged twice: the first task was made without a usable taskId"
                                           : "";
      requeue.bind(1, ambiguous ? 1 : 0);
      requeue.bind(2, note);
      requeue.bind(3, note);
      requeue.bind(4, now);
      requeue.bind(5, s.id);
      requeue.exec();
      requeue.reset();
      drop_files.bind(1, s.id);
      drop_files.exec();
      drop_files.reset();
      add_event(db, s.id, now, "retry", was, s.task_id, "requeued");
      ++out.requeued;
      out.ambiguous += ambiguous ? 1 : 0;
      out.lost += lost && !dropped ? 1 : 0;
      out.dropped += dropped ? 1 : 0;
      out.unnamed += unnamed ? 1 : 0;
    }
    tx.commit();
    return out;
  } catch (const std::exception& e) {
    return storage_error(e);
  }
}

Result<CancelOutcome> cancel_jobs(SQLite::Database& db, Clock& clock, const JobSelector& sel) {
  try {
    SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
    auto rows = select_rows(db, sel);
    if (!rows) {
      return rows.error();
    }
    CancelOutcome out;
    TimeMs now = clock.now_ms();
    // Only a row still `queued` is cancelled: the runner claims a row for submitting with the same
    // condition, so a cancel and a submit can never both win.
    SQLite::Statement cancel(db,
                             "UPDATE jobs SET state = 'cancelled', note = 'cancelled by reelq cancel', "
                             "completed_at = ?, updated_at = ? WHERE id = ? AND state = 'queued'");
    for (const Selected& s : *rows) {
      if (s.state == JobState::queued) {
        cancel.bind(1, now);
        cancel.bind(2, now);
        cancel.bind(3, s.id);
        if (cancel.exec() == 1) {
          add_event(db, s.id, now, "cancel", "cancelled by reelq cancel", "", "cancelled");
          ++out.cancelled;
        }
        cancel.reset();
      } else if (is_final(s.state)) {
        ++out.finished;
      } else {
        ++out.running;
      }
    }
    tx.commit();
    return out;
  } catch (const std::exception& e) {
    return storage_error(e);
  }
}

Result<Spend> batch_spend(SQLite::Database& db, const std::string& batch, const std::string& model,
                          const PriceTable& prices, const TimeWindow& window) {
  auto submitted = submitted_renders(db, batch, window);
  if (!submitted) {
    return submitted.error();
  }
  return price_submitted(*submitted, model, prices);
}

Result<std::map<std::pair<std::string, int>, StoredTakeSpec>> take_specs(SQLite::Database& db,
                                                                         const std::string& batch) {
  try {
    SQLite::Statement q(db, "SELECT job_id, take, state, input_json, coalesce(fail_code, ''), task_id IS NOT NULL, "
                            "coalesce(result_urls, '') NOT IN ('', '[]') FROM jobs WHERE batch = ?");
    q.bind(1, batch);
    std::map<std::pair<std::string, int>, StoredTakeSpec> out;
    while (q.executeStep()) {
      out[{q.getColumn(0).getString(), q.getColumn(1).getInt()}] =
          StoredTakeSpec{parse_job_state(q.getColumn(2).getString()).value_or(JobState::queued),
                         q.getColumn(3).getString(), q.getColumn(4).getString(), q.getColumn(5).getInt() != 0,
                         q.getColumn(6).getInt() != 0};
    }
    return out;
  } catch (const std::exception& e) {
    return storage_error(e);
  }
}

Result<std::vector<SubmittedRender>> submitted_renders(SQLite::Database& db, const std::optional<std::string>& batch,
                                                       const TimeWindow& window) {
  try {
    // The events keep every submit, also those of a take requeued or replaced since; the price is
    // that of the take's input now (a replaced take may have changed tier: rare, and then approximate).
    // A task's fate is the state its latest readable statusTask answer gave (the event's message is
    // the API's state as spelled; a callback is confirmed by such a statusTask, so it is there too).
    SQLite::Statement q(
        db,
        "SELECT j.input_json, e.outcome IN ('ok', 'created_unnamed'), coalesce(j.request_body, ''), "
        "(SELECT lower(s.message) FROM events s WHERE s.job = e.job AND s.task_id = e.task_id "
        "AND e.outcome = 'ok' AND s.endpoint = 'statusTask' AND s.outcome = 'ok' "
        "AND lower(s.message) IN ('success', 'failed') ORDER BY s.id DESC LIMIT 1), coalesce(j.key_name, '') "
        "FROM events e JOIN jobs j ON e.job = j.id "
        "WHERE (?1 IS NULL OR j.batch = ?1) AND (?2 IS NULL OR e.at >= ?2) AND (?3 IS NULL OR e.at < ?3) "
        "AND ((e.endpoint = 'generateTask' AND e.outcome IN "
        "('ok', 'created_unnamed', 'ambiguous')) OR (e.endpoint = 'recovery' AND e.outcome = 'ambiguous')) "
        "ORDER BY e.id");
    if (batch) {
      q.bind(1, *batch);
    }
    if (window.since) {
      q.bind(2, static_cast<std::int64_t>(*window.since));
    }
    if (window.until) {
      q.bind(3, static_cast<std::int64_t>(*window.until));
    }
    std::vector<SubmittedRender> out;
    while (q.executeStep()) {
      SubmittedRender r{q.getColumn(0).getString(), q.getColumn(1).getInt() != 0};
      r.request_body = q.getColumn(2).getString();
      std::string fate = q.getColumn(3).isNull() ? "" : q.getColumn(3).getString();
      r.fate = fate == "success" ? TaskFate::rendered : fate == "failed" ? TaskFate::failed : TaskFate::not_ended;
      r.key_name = q.getColumn(4).getString();
      out.push_back(std::move(r));
    }
    return out;
  } catch (const std::exception& e) {
    return storage_error(e);
  }
}

Result<std::vector<MissingResult>> missing_results(SQLite::Database& db, const std::optional<std::string>& batch) {
  try {
    SQLite::Statement q(
        db,
        "SELECT j.id, j.batch, coalesce(b.output_dir, ''), j.job_id, j.take, (SELECT max(take) FROM jobs t WHERE "
        "t.batch = j.batch AND t.job_id = j.job_id), j.state, coalesce(j.task_id, ''), j.result_urls, "
        "coalesce(j.api_complete_time, j.completed_at, j.updated_at) FROM jobs j JOIN batches b ON b.name = j.batch "
        "WHERE (?1 IS NULL OR j.batch = ?1) AND coalesce(j.result_urls, '') NOT IN ('', '[]') AND (j.state IN "
        "('downloading', 'succeeded') OR (j.state = 'failed' AND j.fail_code = 'DOWNLOAD_FAILED')) "
        "ORDER BY j.batch, j.position, j.take");
    if (batch) {
      q.bind(1, *batch);
    }
    std::vector<MissingResult> candidates;
    std::unordered_map<std::int64_t, size_t> by_row;
    while (q.executeStep()) {
      MissingResult m;
      m.row = q.getColumn(0).getInt64();
      m.batch = q.getColumn(1).getString();
      m.output_dir = q.getColumn(2).getString();
      m.job_id = q.getColumn(3).getString();
      m.take = q.getColumn(4).getInt();
      m.takes = q.getColumn(5).getInt();
      m.state = parse_job_state(q.getColumn(6).getString()).value_or(JobState::downloading);
      m.task_id = q.getColumn(7).getString();
      m.urls = parse_json_string_array(q.getColumn(8).getString());
      m.finished_at = q.getColumn(9).getInt64();
      by_row[m.row] = candidates.size();
      candidates.push_back(std::move(m));
    }
    // Every candidate's files in one query, not one query per take.
    SQLite::Statement f(
        db,
        "SELECT f.job, f.idx, f.url, coalesce(f.path, ''), coalesce(f.bytes, 0), "
        "coalesce(f.sha256, ''), f.attempts, coalesce(f.dir, '') FROM files f JOIN jobs j ON f.job = j.id "
        "WHERE ?1 IS NULL OR j.batch = ?1 ORDER BY f.job, f.idx");
    if (batch) {
      f.bind(1, *batch);
    }
    while (f.executeStep()) {
      if (auto it = by_row.find(f.getColumn(0).getInt64()); it != by_row.end()) {
        candidates[it->second].files.push_back({f.getColumn(1).getInt(),
                                                f.getColumn(2).getString(),
                                                f.getColumn(3).getString(),
                                                f.getColumn(4).getInt64(),
                                                f.getColumn(5).getString(),
                                                f.getColumn(6).getInt(),
                                                f.getColumn(7).getString(),
                                                {}});
      }
    }
    std::vector<MissingResult> out;
    for (auto& m : candidates) {
      // Each file where it was written: a batch whose folder changed since still has them.
      bool all_on_disk = m.files.size() >= m.urls.size() && !m.output_dir.empty();
      for (const auto& file : m.files) {
        all_on_disk = all_on_disk && file_intact(file, m.output_dir);
      }
      if (m.state != JobState::succeeded || !all_on_disk) {
        out.push_back(std::move(m));
      }
    }
    return out;
  } catch (const std::exception& e) {
    return storage_error(e);
  }
}

}  // namespace reelq
