#include "queue/run_store.h"

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <fmt/format.h>

#include <algorithm>
#include <functional>

#include "queue/database.h"

namespace reelq {

std::filesystem::path file_location(const FileRecord& file, const std::filesystem::path& batch_dir) {
  return (file.dir.empty() ? batch_dir : std::filesystem::path(file.dir)) / file.path;
}

bool file_intact(const FileRecord& file, const std::filesystem::path& batch_dir) {
  if (file.path.empty()) {
    return false;
  }
  std::error_code ec;
  auto size = std::filesystem::file_size(file_location(file, batch_dir), ec);
  return !ec && (file.bytes <= 0 || static_cast<std::int64_t>(size) == file.bytes);
}

Result<BatchInfo> RunStore::batch(const std::string& name) {
  try {
    SQLite::Statement q(
        m_db,
        "SELECT name, model, manifest_path, settings_json, coalesce(output_dir, ''), "
        "coalesce(api_base, ''), coalesce(time_scale, 0), coalesce(run_flags_json, '{}') FROM batches WHERE name = ?");
    q.bind(1, name);
    if (!q.executeStep()) {
      return Error{ErrorKind::usage, fmt::format("no batch named '{}' in this database", name)};
    }
    return BatchInfo{q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getString(),
                     q.getColumn(3).getString(), q.getColumn(4).getString(), q.getColumn(5).getString(),
                     q.getColumn(6).getDouble(), q.getColumn(7).getString()};
  } catch (const std::exception& e) {
    return storage_error(e);
  }
}

Result<int> RunStore::count_jobs(const std::string& batch, const char* condition) {
  try {
    SQLite::Statement q(m_db, fmt::format("SELECT count(*) FROM jobs WHERE batch = ? AND ({})", condition));
    q.bind(1, batch);
    q.executeStep();
    return q.getColumn(0).getInt();
  } catch (const std::exception& e) {
    return storage_error(e);
  }
}

Status RunStore::set_batch_text(const std::string& batch, const char* column, const std::string& value) {
  try {
    SQLite::Statement q(m_db, fmt::format("UPDATE batches SET {} = ?, updated_at = ? WHERE name = ?", column));
    q.bind(1, value);
    q.bind(2, m_clock.now_ms());
    q.bind(3, batch);
    q.exec();
    return ok_status();
  } catch (const std::exception& e) {
    return storage_error(e);
  }
}

Result<int> RunStore::open_callback_tasks(const std::string& batch) {
  return count_jobs(batch,
                    "state IN ('running', 'submitting') AND request_body LIKE '%\"request_type\":\"callback\"%'");
}

Status RunStore::set_output_dir(const std::string& batch, const std::string& dir) {
  return set_batch_text(batch, "output_dir", dir);
}

Result<std::vector<std::string>> RunStore::file_folders(const std::string& batch) {
  try {
    std::vector<std::string> out;
    SQLite::Statement q(m_db,
                        "SELECT DISTINCT coalesce(f.dir, b.output_dir) FROM files f JOIN jobs j ON f.job = j.id "
                        "JOIN batches b ON b.name = j.batch WHERE j.batch = ? AND f.path IS NOT NULL "
                        "AND coalesce(f.dir, b.output_dir) IS NOT NULL ORDER BY 1");
    q.bind(1, batch);
    while (q.executeStep()) {
      out.push_back(q.getColumn(0).getString());
    }
    return out;
  } catch (const std::exception& e) {
    return storage_error(e);
  }
}

Status RunStore::record_api(const std::string& batch, const std::string& api_base, double time_scale) {
  try {
    SQLite::Statement q(m_db, "UPDATE batches SET api_base = ?, time_scale = ?, updated_at = ? WHERE name = ?");
    q.bind(1, api_base);
    q.bind(2, time_scale);
    q.bind(3, m_clock.now_ms());
    q.bind(4, batch);
    q.exec();
    return ok_status();
  } catch (const std::exception& e) {
    return storage_error(e);
  }
}

Result<int> RunStore::takes_sent(const std::string& batch) {
  return count_jobs(batch, "task_id IS NOT NULL OR attempts > 0");
}

Status RunStore::record_run_flags(const std::string& batch, const std::string& flags_json) {
  return set_batch_text(batch, "run_flags_json", flags_json);
}

Result<bool> RunStore::is_rehearsal() {
  try {
    SQLite::Statement q(m_db, "SELECT 1 FROM database_info WHERE key = 'rehearsal' AND value = '1'");
    return q.executeStep();
  } catch (const std::exception& e) {
    return storage_error(e);
  }
}

Status RunStore::mark_rehearsal() {
  try {
    m_db.exec("INSERT OR REPLACE INTO database_info (key, value) VALUES ('rehearsal', '1')");
    return ok_status();
  } catch (const std::exception& e) {
    return storage_error(e);
  }
}

namespace {

// The columns read_job_rows() reads, from `jobs j` (and `batches b` for foreign rows).
constexpr const char* k_job_row_columns =
    "SELECT j.id, j.job_id, j.take, j.position, j.input_json, j.state, coalesce(j.task_id, ''), j.attempts, "
    "coalesce(j.next_at, 0), coalesce(j.submitted_at, 0), j.ambiguous, coalesce(j.result_urls, ''), (SELECT "
    "max(take) FROM jobs t WHERE t.batch = j.batch AND t.job_id = j.job_id), coalesce(j.key_name, ''), "
    "coalesce(j.key_fp, '') ";

std::vector<JobRow> read_job_rows(SQLite::Statement& q) {
  std::vector<JobRow> out;
  while (q.executeStep()) {
    JobRow r;
    r.id = q.getColumn(0).getInt64();
    r.job_id = q.getColumn(1).getString();
    r.take = q.getColumn(2).getInt();
    r.position = q.getColumn(3).getInt();
    r.input_json = q.getColumn(4).getString();
    r.state = parse_job_state(q.getColumn(5).getString()).value_or(JobState::queued);
    r.task_id = q.getColumn(6).getString();
    r.attempts = q.getColumn(7).getInt();
    r.next_at = q.getColumn(8).getInt64();
    r.submitted_at = q.getColumn(9).getInt64();
    r.ambiguous = q.getColumn(10).getInt() != 0;
    r.result_urls = q.getColumn(11).getString();
    r.takes = q.getColumn(12).getInt();
    r.key_name = q.getColumn(13).getString();
    r.key_fp = q.getColumn(14).getString();
    if (q.getColumnCount() > 17) {
      r.foreign_batch = q.getColumn(15).getString();
      r.foreign_model = q.getColumn(16).getString();
      r.foreign_output_dir = q.getColumn(17).getString();
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

Result<std::vector<JobRow>> RunStore::unfinished_jobs(const std::string& batch) {
  try {
    SQLite::Statement q(m_db, std::string(k_job_row_columns) +
                                  "FROM jobs j WHERE j.batch = ? AND j.state NOT IN ('succeeded', 'failed', "
                                  "'cancelled') ORDER BY j.position, j.take");
    q.bind(1, batch);
    return read_job_rows(q);
  } catch (const std::exception& e) {
    return storage_error(e);
  }
}

Result<std::vector<JobRow>> RunStore::foreign_active_jobs(const std::string& batch, const std::string& api_base,
                                                          const std::string& key_fp) {
  try {
    SQLite::Statement q(
        m_db, std::string(k_job_row_columns) +
                  ", j.batch, b.model, coalesce(b.output_dir, '') FROM jobs j JOIN batches b ON b.name = "
                  "j.batch WHERE j.batch != ?1 AND j.state IN ('running', 'submitting') AND "
                  "(b.api_base IS NULL OR b.api_base = ?2) AND (j.key_fp IS NULL OR j.key_fp = ?3) ORDER BY j.batch, "
                  "j.position, j.take");
    q.bind(1, batch);
    q.bind(2, api_base);
    q.bind(3, key_fp);
    return read_job_rows(q);
  } catch (const std::exception& e) {
    return storage_error(e);
  }
}

Result<std::vector<ObservedRender>> RunStore::observed_renders(const std::string& api_base, double time_scale) {
  try {
    std::vector<ObservedRender> out;
    SQLite::Statement q(m_db,
                        "SELECT j.input_json, coalesce(j.cost_time_ms, j.api_complete_time - j.api_create_time), "
                        "b.time_scale, coalesce(j.completed_at, j.updated_at) - j.submitted_at FROM jobs j JOIN "
                        "batches b ON b.name = j.batch WHERE b.api_base = ? AND b.time_scale > 0 AND j.state IN "
                        "('downloading', 'succeeded') AND coalesce(j.cost_time_ms, j.api_complete_time - "
                        "j.api_create_time) > 0 ORDER BY j.completed_at DESC LIMIT 2000");
    q.bind(1, api_base);
    while (q.executeStep()) {
      double rescale = time_scale / q.getColumn(2).getDouble();
      ObservedRender r;
      r.input_json = q.getColumn(0).getString();
      r.took = static_cast<TimeMs>(static_cast<double>(q.getColumn(1).getInt64()) * rescale);
      r.lifetime =
          q.getColumn(3).isNull() ? 0 : static_cast<TimeMs>(static_cast<double>(q.getColumn(3).getInt64()) * rescale);
      out.push_back(std::move(r));
    }
    return out;
  } catch (const std::exception& e) {
    return storage_error(e);
  }
}

Result<std::vector<TimeMs>> RunStore::recent_requests(TimeMs since, const std::string& key_fp) {
  try {
    std::vector<TimeMs> out;
    SQLite::Statement q(m_db,
                        "SELECT e.at FROM events e LEFT JOIN jobs j ON e.job = j.id WHERE e.at > ?1 AND "
                        "e.endpoint IN ('generateTask', 'statusTask', 'balance') AND e.outcome != 'unreachable' "
                        "AND (?2 = '' OR j.key_fp IS NULL OR j.key_fp = ?2) ORDER BY e.at");  // unreachable: never left
    q.bind(1, since);
    q.bind(2, key_fp);
    while (q.executeStep()) {
      out.push_back(q.getColumn(0).getInt64());
    }
    return out;
  } catch (const std::exception& e) {
    return storage_error(e);
  }
}

Result<std::vector<RunStore::AmbiguousSubmit>> RunStore::recent_ambiguous_submits(TimeMs since) {
  try {
    std::vector<AmbiguousSubmit> out;
    SQLite::Statement q(m_db,
                        "SELECT e.at, j.input_json, coalesce(j.key_fp, '') FROM events e JOIN jobs j ON e.job = j.id "
                        "WHERE e.at > ? AND ((e.outcome IN ('ambiguous', 'created_unnamed') AND e.endpoint IN "
                        "('generateTask', 'recovery')) OR (e.endpoint = 'recovery' AND e.outcome = 'key_dropped' "
                        "AND j.state = 'queued'))");
    q.bind(1, since);
    while (q.executeStep()) {
      out.push_back({q.getColumn(0).getInt64(), q.getColumn(1).getString(), q.getColumn(2).getString()});
    }
    return out;
  } catch (const std::exception& e) {
    return storage_error(e);
  }
}

// Failed takes of `batch` with `fail_code` whose taskId was kept go back to `running`, to be asked
// about again, each with a `recovery` event saying `why`; `keep(key_fp)` picks which.
Result<int> RunStore::reopen_failed(const std::string& batch, const std::string& fail_code,
                                    const std::function<bool(const std::string& key_fp)>& keep,
                                    const std::string& why) {
  try {
    TimeMs now = m_clock.now_ms();
    SQLite::Transaction tx(m_db, SQLite::TransactionBehavior::IMMEDIATE);
    std::vector<std::pair<std::int64_t, std::string>> rows;
    SQLite::Statement q(m_db,
                        "SELECT id, task_id, coalesce(key_fp, '') FROM jobs WHERE batch = ? AND state = 'failed' AND "
                        "fail_code = ? AND coalesce(task_id, '') != ''");
    q.bind(1, batch);
    q.bind(2, fail_code);
    while (q.executeStep()) {
      if (keep(q.getColumn(2).getString())) {
        rows.emplace_back(q.getColumn(0).getInt64(), q.getColumn(1).getString());
      }
    }
    SQLite::Statement u(m_db,
                        "UPDATE jobs SET state = 'running', fail_code = NULL, fail_msg = NULL, completed_at = NULL, "
                        "next_at = ?, updated_at = ? WHERE id = ?");
    for (const auto& [row, task_id] : rows) {
      u.bind(1, now);
      u.bind(2, now);
      u.bind(3, row);
      u.exec();
      u.reset();
      insert_event(row, now, {"recovery", 0, std::nullopt, why, task_id, "reopened"});
    }
    tx.commit();
    return static_cast<int>(rows.size());
  } catch (const std::exception& e) {
    return storage_error(e);
  }
}

Result<int> RunStore::reopen_timed_out(const std::string& batch) {
  return reopen_failed(
      batch, "RENDER_TIMEOUT", [](const std::string&) { return true; },
      "timed out earlier (RENDER_TIMEOUT); asking the API again");
}

Result<int> RunStore::reopen_dropped(const std::string& batch, const std::vector<std::string>& key_fps) {
  return reopen_failed(
      batch, "KEY_DROPPED",
      [&](const std::string& fp) { return std::find(key_fps.begin(), key_fps.end(), fp) != key_fps.end(); },
      "given up earlier (--drop-key); its key is back: asking the API again");
}

namespace {

// "?, ?, ?" for n parameters ("NULL" for none: `x NOT IN (NULL)` is never true, so no key given
// keeps nothing; callers always give at least one).
std::string placeholders(size_t n) {
  if (n == 0) {
    return "NULL";
  }
  std::string out = "?";
  for (size_t i = 1; i < n; ++i) {
    out += ", ?";
  }
  return out;
}

}  // namespace

Result<std::vector<JobRow>> RunStore::tasks_of_other_keys(const std::string& batch,
                                                          const std::vector<std::string>& fingerprints) {
  try {
    SQLite::Statement q(
        m_db, std::string(k_job_row_columns) + fmt::format("FROM jobs j WHERE j.batch = ? AND j.state = 'running' AND "
                                                           "coalesce(j.task_id, '') != '' AND j.key_fp IS NOT NULL AND "
                                                           "j.key_fp NOT IN ({}) ORDER BY j.position, j.take",
                                                           placeholders(fingerprints.size())));
    q.bind(1, batch);
    for (size_t i = 0; i < fingerprints.size(); ++i) {
      q.bind(static_cast<int>(i) + 2, fingerprints[i]);
    }
    return read_job_rows(q);
  } catch (const std::exception& e) {
    return storage_error(e);
  }
}

Result<int> RunStore::drop_key_tasks(const std::string& batch, const std::string& name,
                                     const std::vector<std::string>& fingerprints) {
  auto tasks = tasks_of_other_keys(batch, fingerprints);
  if (!tasks) {
    return tasks.error();
  }
  try {
    TimeMs now = m_clock.now_ms();
    SQLite::Transaction tx(m_db, SQLite::TransactionBehavior::IMMEDIATE);
    int dropped = 0;
    for (const auto& t : *tasks) {
      if (t.key_name != name && t.key_fp != name) {
        continue;
      }
      std::string why = fmt::format(
          "given up with --drop-key {}: the task was made with key {} ({}), which this run "
          "was not given; it may still render and be charged",
          name, t.key_name, t.key_fp);
      SQLite::Statement u(m_db,
                          "UPDATE jobs SET state = 'failed', fail_code = 'KEY_DROPPED', fail_msg = ?, completed_at = "
                          "?, updated_at = ? WHERE id = ? AND state = 'running'");
      u.bind(1, why);
      u.bind(2, now);
      u.bind(3, now);
      u.bind(4, t.id);
      if (u.exec() > 0) {
        insert_event(t.id, now, {"recovery", 0, std::nullopt, why, t.task_id, "key_dropped"});
        ++dropped;
      }
    }
    tx.commit();
    return dropped;
  } catch (const std::exception& e) {
    return storage_error(e);
  }
}

Result<int> RunStore::count_timed_out(const std::optional<std::string>& batch) {
  try {
    SQLite::Statement q(m_db,
                        "SELECT count(*) FROM jobs WHERE (?1 IS NULL OR batch = ?1) AND state = 'failed' AND "
                        "fail_code = 'RENDER_TIMEOUT' AND coalesce(task_id, '') != ''");
    if (batch) {
      q.bind(1, *batch);
    }
    q.executeStep();
    return q.getColumn(0).getInt();
  } catch (const std::exception& e) {
    return storage_error(e);
  }
}

Result<RunStore::Counts> RunStore::counts(const std::string& batch) {
  try {
    Counts c;
    SQLite::Statement q(m_db, "SELECT state, count(*) FROM jobs WHERE batch = ? GROUP BY state");
    q.bind(1, batch);
    while (q.executeStep()) {
      c.by_state[parse_job_state(q.getColumn(0).getString()).value_or(JobState::queued)] = q.getColumn(1).getInt();
    }
    SQLite::Statement f(
        m_db,
        "SELECT coalesce(fail_code, 'UNKNOWN'), count(*) FROM jobs WHERE batch = ? AND state = 'failed' "
        "GROUP BY 1 ORDER BY 2 DESC");
    f.bind(1, batch);
    while (f.executeStep()) {
      c.failures_by_code[f.getColumn(0).getString()] = f.getColumn(1).getInt();
    }
    return c;
  } catch (const std::exception& e) {
    return storage_error(e);
  }
}

void RunStore::insert_event(std::optional<std::int64_t> row, TimeMs at, const EventRecord& event) {
  SQLite::Statement& e = prepared(
      "INSERT INTO events (job, at, endpoint, http_status, body_code, message, task_id, outcome) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  if (row) {
    e.bind(1, *row);
  }
  e.bind(2, at);
  e.bind(3, event.endpoint);
  if (event.http_status) {
    e.bind(4, event.http_status);
  }
  if (event.body_code) {
    e.bind(5, *event.body_code);
  }
  e.bind(6, event.message);
  if (!event.task_id.empty()) {
    e.bind(7, event.task_id);
  }
  e.bind(8, event.outcome);
  e.exec();
}

Status RunStore::log_event(const EventRecord& event) {
  try {
    insert_event(std::nullopt, m_clock.now_ms(), event);
    return ok_status();
  } catch (const std::exception& e) {
    return storage_error(e);
  }
}

Result<JobState> RunStore::begin_submit(std::int64_t row, const std::string& body, const KeyIdentity& key) {
  try {
    SQLite::Transaction tx(m_db, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement q(m_db,
                        "UPDATE jobs SET state = 'submitting', request_body = ?, updated_at = ?, key_name = ?, "
                        "key_fp = ? WHERE id = ? AND state = 'queued'");
    q.bind(1, body);
    q.bind(2, m_clock.now_ms());
    q.bind(3, key.name);
    q.bind(4, key.fingerprint);
    q.bind(5, row);
    JobState state = JobState::submitting;
    if (q.exec() == 0) {
      SQLite::Statement s(m_db, "SELECT state FROM jobs WHERE id = ?");
      s.bind(1, row);
      state = s.executeStep() ? parse_job_state(s.getColumn(0).getString()).value_or(JobState::cancelled)
                              : JobState::cancelled;
    }
    tx.commit();
    return state;
  } catch (const std::exception& e) {
    return storage_error(e);
  }
}

Status RunStore::update(std::int64_t row, const JobUpdate& u, const EventRecord* event) {
  TimeMs now = m_clock.now_ms();
  std::string sql = "UPDATE jobs SET updated_at = ?";
  std::vector<std::function<void(SQLite::Statement&, int)>> binders;
  auto set = [&](const char* column, const auto& value) {
    if (value) {
      sql += fmt::format(", {} = ?", column);
      binders.push_back([v = *value](SQLite::Statement& s, int i) {
        if constexpr (std::is_same_v<std::decay_t<decltype(v)>, bool>) {
          s.bind(i, v ? 1 : 0);
        } else if constexpr (std::is_same_v<std::decay_t<decltype(v)>, JobState>) {
          s.bind(i, std::string(to_string(v)));
        } else {
          s.bind(i, v);
        }
      });
    }
  };
  set("state", u.state);
  set("task_id", u.task_id);
  set("attempts", u.attempts);
  set("request_body", u.request_body);
  set("fail_code", u.fail_code);
  set("fail_msg", u.fail_msg);
  set("next_at", u.next_at);
  set("submitted_at", u.submitted_at);
  set("completed_at", u.completed_at);
  set("api_create_time", u.api_create_time);
  set("api_complete_time", u.api_complete_time);
  set("cost_time_ms", u.cost_time_ms);
  set("result_urls", u.result_urls);
  set("note", u.note);
  set("ambiguous", u.ambiguous);
  if (u.clear_failure) {
    sql += ", fail_code = NULL, fail_msg = NULL";
  }
  sql += " WHERE id = ?";
  try {
    std::optional<SQLite::Transaction> tx;
    if (!m_in_turn) {
      tx.emplace(m_db, SQLite::TransactionBehavior::IMMEDIATE);
    }
    SQLite::Statement& q = prepared(sql);
    q.bind(1, now);
    int i = 2;
    for (auto& b : binders) {
      b(q, i++);
    }
    q.bind(i, row);
    q.exec();
    if (event) {
      insert_event(row, now, *event);
    }
    if (tx) {
      tx->commit();
    }
    return ok_status();
  } catch (const std::exception& e) {
    return storage_error(e);
  }
}

SQLite::Statement& RunStore::prepared(const std::string& sql) {
  auto& slot = m_prepared[sql];
  if (!slot) {
    slot = std::make_unique<SQLite::Statement>(m_db, sql);
  } else {
    slot->reset();
    slot->clearBindings();
  }
  return *slot;
}

RunStore::TurnWrites::TurnWrites(RunStore& store) : m_store(store) {
  try {
    m_tx = std::make_unique<SQLite::Transaction>(store.m_db, SQLite::TransactionBehavior::IMMEDIATE);
    m_store.m_in_turn = true;
  } catch (const std::exception&) {
    // Not open: each update() makes its own transaction, as without a turn.
  }
}

RunStore::TurnWrites::~TurnWrites() {
  m_store.m_in_turn = false;  // m_tx, if not committed, rolls the turn back
}

Status RunStore::TurnWrites::commit() {
  m_store.m_in_turn = false;
  if (!m_tx) {
    return ok_status();
  }
  try {
    m_tx->commit();
    m_tx.reset();
    return ok_status();
  } catch (const std::exception& e) {
    m_tx.reset();
    return storage_error(e);
  }
}

Result<std::vector<FileRecord>> RunStore::files(std::int64_t row) {
  try {
    std::vector<FileRecord> out;
    SQLite::Statement q(m_db,
                        "SELECT idx, url, coalesce(path, ''), coalesce(bytes, 0), coalesce(sha256, ''), attempts, "
                        "coalesce(dir, '') FROM files WHERE job = ? ORDER BY idx");
    q.bind(1, row);
    while (q.executeStep()) {
      out.push_back({q.getColumn(0).getInt(),
                     q.getColumn(1).getString(),
                     q.getColumn(2).getString(),
                     q.getColumn(3).getInt64(),
                     q.getColumn(4).getString(),
                     q.getColumn(5).getInt(),
                     q.getColumn(6).getString(),
                     {}});
    }
    return out;
  } catch (const std::exception& e) {
    return storage_error(e);
  }
}

Status RunStore::record_file(std::int64_t row, const FileRecord& f, const std::string& error) {
  try {
    SQLite::Statement& q = prepared(
        "INSERT INTO files (job, idx, url, path, bytes, sha256, attempts, last_error, dir) "
        "VALUES (?, ?, ?, nullif(?, ''), nullif(?, 0), nullif(?, ''), ?, nullif(?, ''), "
        "nullif(?, '')) ON CONFLICT (job, idx) DO UPDATE SET url = excluded.url, "
        "path = excluded.path, bytes = excluded.bytes, sha256 = excluded.sha256, "
        "attempts = excluded.attempts, last_error = excluded.last_error, dir = excluded.dir");
    q.bind(1, row);
    q.bind(2, f.idx);
    q.bind(3, f.url);
    q.bind(4, f.path);
    q.bind(5, f.bytes);
    q.bind(6, f.sha256);
    q.bind(7, f.attempts);
    q.bind(8, error);
    q.bind(9, f.path.empty() ? std::string() : f.dir);
    q.exec();
    return ok_status();
  } catch (const std::exception& e) {
    return storage_error(e);
  }
}

}  // namespace reelq
