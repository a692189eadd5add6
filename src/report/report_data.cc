#include "report/report_data.h"

#include <Poco/JSON/Parser.h>
#include <SQLiteCpp/Statement.h>
#include <fmt/format.h>

#include <filesystem>
#include <unordered_map>

#include "queue/database.h"
#include "queue/operations.h"
#include "queue/run_ledger.h"
#include "queue/run_store.h"
#include "settings.h"
#include "util/json_strings.h"

namespace reelq {

namespace {

std::optional<TimeMs> optional_int(const SQLite::Column& c) {
  return c.isNull() ? std::nullopt : std::optional<TimeMs>(c.getInt64());
}

// The request's input object (canonical JSON written by input_json()) into the row's fields.
void read_input(const std::string& json, ReportRow& r) {
  try {
    Poco::JSON::Parser p;
    auto o = p.parse(json).extract<Poco::JSON::Object::Ptr>();
    r.mode = o->optValue<std::string>("mode", "");
    r.prompt = o->optValue<std::string>("prompt", "");
    r.duration = o->optValue<int>("duration", 0);
    r.size = o->optValue<std::string>("size", "");
    r.resolution = o->optValue<std::string>("resolution", "");
    if (auto images = o->getArray("image_urls")) {
      for (size_t i = 0; i < images->size(); ++i) {
        r.images.push_back(images->getElement<std::string>(i));
      }
    }
  } catch (const Poco::Exception&) {
    // A row is never dropped from a report: an unreadable input shows as empty fields.
  }
}

BatchReport read_batch(SQLite::Statement& q) {
  BatchReport b;
  b.name = q.getColumn(0).getString();
  b.model = q.getColumn(1).getString();
  b.manifest_path = q.getColumn(2).getString();
  b.output_dir = q.getColumn(4).getString();
  b.created_at = q.getColumn(5).getInt64();
  b.updated_at = q.getColumn(6).getInt64();
  Settings s;
  if (apply_settings_json(s, q.getColumn(3).getString(), "")) {
    b.max_concurrent = s.max_concurrent;
  }
  return b;
}

void load_rows(SQLite::Database& db, BatchReport& b, WithEvents with_events) {
  SQLite::Statement q(db,
                      "SELECT j.id, j.job_id, j.take, j.position, j.input_json, j.state, coalesce(j.task_id, ''), "
                      "j.attempts, coalesce(j.fail_code, ''), coalesce(j.fail_msg, ''), coalesce(j.submitted_at, 0), "
                      "coalesce(j.completed_at, 0), j.api_create_time, j.api_complete_time, j.cost_time_ms, "
                      "coalesce(j.result_urls, ''), coalesce(j.note, ''), (SELECT max(take) FROM jobs t WHERE "
                      "t.batch = j.batch AND t.job_id = j.job_id) FROM jobs j WHERE j.batch = ? "
                      "ORDER BY j.position, j.take");
  q.bind(1, b.name);
  std::unordered_map<std::int64_t, size_t> by_id;
  while (q.executeStep()) {
    ReportRow r;
    r.batch = b.name;
    r.job_id = q.getColumn(1).getString();
    r.take = q.getColumn(2).getInt();
    r.position = q.getColumn(3).getInt();
    read_input(q.getColumn(4).getString(), r);
    r.state = parse_job_state(q.getColumn(5).getString()).value_or(JobState::queued);
    r.task_id = q.getColumn(6).getString();
    r.attempts = q.getColumn(7).getInt();
    r.fail_code = q.getColumn(8).getString();
    r.fail_msg = q.getColumn(9).getString();
    r.submitted_at = q.getColumn(10).getInt64();
    r.completed_at = q.getColumn(11).getInt64();
    r.api_create_time = optional_int(q.getColumn(12));
    r.api_complete_time = optional_int(q.getColumn(13));
    r.cost_time_ms = optional_int(q.getColumn(14));
    r.result_urls = parse_json_string_array(q.getColumn(15).getString());
    r.note = q.getColumn(16).getString();
    r.takes = q.getColumn(17).getInt();
    by_id[q.getColumn(0).getInt64()] = b.rows.size();
    b.rows.push_back(std::move(r));
  }
  SQLite::Statement f(
      db,
      "SELECT f.job, f.idx, f.url, coalesce(f.path, ''), coalesce(f.bytes, 0), "
      "coalesce(f.sha256, ''), coalesce(f.last_error, ''), coalesce(f.dir, '') FROM files f JOIN jobs j "
      "ON f.job = j.id "
      "WHERE j.batch = ? ORDER BY f.job, f.idx");
  f.bind(1, b.name);
  while (f.executeStep()) {
    auto it = by_id.find(f.getColumn(0).getInt64());
    if (it != by_id.end()) {
      std::string path = f.getColumn(3).getString();
      std::string dir = f.getColumn(7).getString();
      if (!path.empty() && !dir.empty() && !b.output_dir.empty() && dir != b.output_dir) {
        path = (std::filesystem::path(dir) / path).string();
      }
      b.rows[it->second].files.push_back({f.getColumn(1).getInt(), f.getColumn(2).getString(), path,
                                          f.getColumn(4).getInt64(), f.getColumn(5).getString(),
                                          f.getColumn(6).getString()});
    }
  }
  if (with_events == WithEvents::no) {
    return;
  }
  SQLite::Statement e(db,
                      "SELECT e.job, e.at, e.endpoint, coalesce(e.http_status, 0), e.body_code, "
                      "coalesce(e.message, ''), coalesce(e.task_id, ''), e.outcome FROM events e JOIN jobs j ON "
                      "e.job = j.id WHERE j.batch = ? ORDER BY e.job, e.at, e.id");
  e.bind(1, b.name);
  while (e.executeStep()) {
    auto it = by_id.find(e.getColumn(0).getInt64());
    if (it == by_id.end()) {
      continue;
    }
    ReportEvent ev;
    ev.at = e.getColumn(1).getInt64();
    ev.endpoint = e.getColumn(2).getString();
    ev.http_status = e.getColumn(3).getInt();
    if (!e.getColumn(4).isNull()) {
      ev.body_code = e.getColumn(4).getInt();
    }
    ev.message = e.getColumn(5).getString();
    ev.task_id = e.getColumn(6).getString();
    ev.outcome = e.getColumn(7).getString();
    b.rows[it->second].events.push_back(std::move(ev));
  }
}

}  // namespace

std::optional<double> ReportRow::render_seconds() const {
  if (cost_time_ms && *cost_time_ms > 0) {
    return static_cast<double>(*cost_time_ms) / 1000.0;
  }
  if (api_create_time && api_complete_time && *api_complete_time >= *api_create_time) {
    return static_cast<double>(*api_complete_time - *api_create_time) / 1000.0;
  }
  return std::nullopt;
}

std::optional<TimeMs> ReportRow::ran_from() const {
  if (api_create_time) {
    return api_create_time;
  }
  return submitted_at > 0 ? std::optional<TimeMs>(submitted_at) : std::nullopt;
}

std::optional<TimeMs> ReportRow::ran_until() const {
  if (!ran_from()) {
    return std::nullopt;
  }
  if (api_complete_time) {
    return api_complete_time;
  }
  if (auto secs = render_seconds()) {
    return *ran_from() + static_cast<TimeMs>(*secs * 1000);
  }
  if (state == JobState::failed || state == JobState::succeeded) {
    return completed_at > 0 ? std::optional<TimeMs>(completed_at) : std::nullopt;
  }
  return std::nullopt;
}

Result<std::vector<std::string>> batch_names(SQLite::Database& db) {
  try {
    std::vector<std::string> out;
    SQLite::Statement q(db, "SELECT name FROM batches ORDER BY created_at, name");
    while (q.executeStep()) {
      out.push_back(q.getColumn(0).getString());
    }
    return out;
  } catch (const std::exception& e) {
    return storage_error(e);
  }
}

Result<std::vector<BatchReport>> load_reports(SQLite::Database& db, const std::optional<std::string>& batch,
                                              WithEvents with_events) {
  try {
    std::vector<BatchReport> out;
    SQLite::Statement q(db,
                        "SELECT name, model, manifest_path, settings_json, coalesce(output_dir, ''), created_at, "
                        "updated_at FROM batches WHERE ?1 IS NULL OR name = ?1 ORDER BY created_at, name");
    if (batch) {
      q.bind(1, *batch);
    }
    while (q.executeStep()) {
      out.push_back(read_batch(q));
    }
    if (batch && out.empty()) {
      auto names = batch_names(db);
      std::string known;
      for (const auto& n : names ? *names : std::vector<std::string>{}) {
        known += (known.empty() ? "" : ", ") + n;
      }
      return Error{ErrorKind::usage, fmt::format("no batch named '{}' in this database (batches: {})", *batch,
                                                 known.empty() ? "none" : known)};
    }
    auto id = queue_id(db);  // a database from before schema 5 has none: the page keys by batch alone
    auto rehearsal = RunStore(db, system_clock()).is_rehearsal();
    if (!rehearsal) {
      return rehearsal.error();
    }
    for (auto& b : out) {
      b.queue_id = id ? *id : "";
      b.rehearsal = *rehearsal;
      load_rows(db, b, with_events);
    }
    return out;
  } catch (const std::exception& e) {
    return storage_error(e);
  }
}

Status attach_spend(SQLite::Database& db, const PriceTable& prices, std::vector<BatchReport>& reports,
                    const TimeWindow& window) {
  for (BatchReport& b : reports) {
    auto money = batch_money(db, b.name, b.model, prices, window);
    if (!money) {
      return money.error();
    }
    b.spend = money->spend;
    b.spend_by_key = money->by_key;
    b.balance = money->balance;
    b.spend_in_read = money->spend_in_read;
    b.currency = prices.currency;
  }
  return ok_status();
}

}  // namespace reelq
