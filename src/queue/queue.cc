#include "queue/queue.h"

#include <Poco/JSON/Parser.h>
#include <fmt/format.h>

#include <cstdint>
#include <unordered_map>

#include "api/request.h"
#include "queue/database.h"
#include "queue/input_match.h"

namespace reelq {

namespace {

struct StoredTake {
  std::int64_t row;
  JobState state;
  std::string fail_code;
  std::string note;
  bool has_results = false;  // the API rendered it (resultUrls known): a paid render
};

constexpr const char* k_note_takes_lowered = "takes lowered in the manifest";

// Whether a take whose spec changed may be reset to render the new spec. Never one at the API now
// (its render would be reported as the new spec's), nor one already rendered and paid for.
bool replaceable(const StoredTake& t) {
  return t.state == JobState::queued || t.state == JobState::cancelled ||
         (t.state == JobState::failed && !t.has_results);
}

struct StoredJob {
  std::string input_json;
  std::vector<StoredTake> takes;  // index = take - 1
};

// The manifest field that differs between two input objects (canonical JSON from input_json()).
std::string changed_field(const std::string& before, const std::string& after) {
  Poco::JSON::Parser parser;
  auto a = parser.parse(before).extract<Poco::JSON::Object::Ptr>();
  parser.reset();
  auto b = parser.parse(after).extract<Poco::JSON::Object::Ptr>();
  static const std::pair<const char*, const char*> k_fields[] = {
      {"mode", "mode"}, {"prompt", "prompt"},         {"duration", "duration"},
      {"size", "size"}, {"resolution", "resolution"}, {"image_urls", "images"}};
  for (const auto& [api_key, manifest_key] : k_fields) {
    std::string va = a->has(api_key) ? a->get(api_key).toString() : "";
    std::string vb = b->has(api_key) ? b->get(api_key).toString() : "";
    if (va != vb) {
      return manifest_key;
    }
  }
  return "input";
}

}  // namespace

int BatchSummary::total() const {
  int n = 0;
  for (const auto& [state, count] : counts) {
    n += count;
  }
  return n;
}

Queue::Queue(std::unique_ptr<SQLite::Database> db, Clock& clock) : m_db(std::move(db)), m_clock(clock) {}

Result<std::unique_ptr<Queue>> Queue::open(const std::filesystem::path& path, Clock& clock, DbPrivacy privacy) {
  auto db = open_database(path, privacy);
  if (!db) {
    return db.error();
  }
  return std::make_unique<Queue>(std::move(db.value()), clock);
}

Result<EnqueueReport> Queue::enqueue(const Manifest& m, const std::filesystem::path& manifest_path,
                                     OnChanged on_changed) {
  EnqueueReport report;
  std::vector<std::string> conflicts;
  TimeMs now = m_clock.now_ms();
  // Recorded canonically: the manifest read through a linked folder is the same manifest, and a
  // moved project's paths are found under its queue's folder (queue/relocate.h).
  std::error_code ec;
  std::string recorded_manifest = std::filesystem::weakly_canonical(manifest_path, ec).string();
  if (ec) {
    recorded_manifest = manifest_path.string();
  }
  try {
    SQLite::Transaction tx(*m_db, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement batch_q(*m_db, "SELECT model FROM batches WHERE name = ?");
    batch_q.bind(1, m.batch);
    if (batch_q.executeStep()) {
      std::string model = batch_q.getColumn(0).getString();
      if (model != m.model) {
        conflicts.push_back(
            fmt::format("batch '{}' was enqueued for model {}; the manifest now says {}", m.batch, model, m.model));
      }
      SQLite::Statement upd(*m_db,
                            "UPDATE batches SET manifest_path = ?, settings_json = ?, updated_at = ? WHERE name = ?");
      upd.bind(1, recorded_manifest);
      upd.bind(2, m.settings_json);
      upd.bind(3, now);
      upd.bind(4, m.batch);
      upd.exec();
    } else {
      SQLite::Statement ins(*m_db,
                            "INSERT INTO batches (name, model, manifest_path, settings_json, created_at, updated_at) "
                            "VALUES (?, ?, ?, ?, ?, ?)");
      ins.bind(1, m.batch);
      ins.bind(2, m.model);
      ins.bind(3, recorded_manifest);
      ins.bind(4, m.settings_json);
      ins.bind(5, now);
      ins.bind(6, now);
      ins.exec();
    }

    std::unordered_map<std::string, StoredJob> stored;
    SQLite::Statement existing(*m_db,
                               "SELECT id, job_id, take, input_json, state, coalesce(fail_code, ''), "
                               "coalesce(note, ''), coalesce(result_urls, '') NOT IN ('', '[]') "
                               "FROM jobs WHERE batch = ? ORDER BY take");
    existing.bind(1, m.batch);
    while (existing.executeStep()) {
      StoredJob& j = stored[existing.getColumn(1).getString()];
      j.input_json = existing.getColumn(3).getString();
      j.takes.push_back({existing.getColumn(0).getInt64(),
                         parse_job_state(existing.getColumn(4).getString()).value_or(JobState::queued),
                         existing.getColumn(5).getString(), existing.getColumn(6).getString(),
                         existing.getColumn(7).getInt() != 0});
    }

    SQLite::Statement insert(*m_db,
                             "INSERT INTO jobs (batch, job_id, take, position, input_json, created_at, updated_at) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?)");
    // A take that starts over: what it was (task, failure) stays in the events table.
    SQLite::Statement requeue(
        *m_db,
        "UPDATE jobs SET input_json = ?, state = 'queued', position = ?, task_id = NULL, attempts = 0, "
        "request_body = NULL, fail_code = NULL, fail_msg = NULL, next_at = NULL, submitted_at = NULL, "
        "completed_at = NULL, api_create_time = NULL, api_complete_time = NULL, cost_time_ms = NULL, "
        "result_urls = NULL, note = NULL, ambiguous = 0, updated_at = ? WHERE id = ?");
    SQLite::Statement history(*m_db,
                              "INSERT INTO events (job, at, endpoint, message, outcome) VALUES (?, ?, 'enqueue', ?, ?)");
    SQLite::Statement cancel(*m_db,
                             "UPDATE jobs SET state = 'cancelled', note = ?, completed_at = ?, updated_at = ? "
                             "WHERE id = ?");
    SQLite::Statement restate_input(*m_db, "UPDATE jobs SET input_json = ? WHERE batch = ? AND job_id = ?");
    auto insert_take = [&](const JobSpec& spec, int take, int position, const std::string& input) {
      insert.bind(1, m.batch);
      insert.bind(2, spec.id);
      insert.bind(3, take);
      insert.bind(4, position);
      insert.bind(5, input);
      insert.bind(6, now);
      insert.bind(7, now);
      insert.exec();
      insert.reset();
      ++report.added;
    };

    auto start_over = [&](const StoredTake& t, const std::string& input, int position, const std::string& why) {
      requeue.bind(1, input);
      requeue.bind(2, position);
      requeue.bind(3, now);
      requeue.bind(4, t.row);
      requeue.exec();
      requeue.reset();
      history.bind(1, t.row);
      history.bind(2, now);
      history.bind(3, why);
      history.bind(4, "requeued");
      history.exec();
      history.reset();
    };
    auto place = [&](const JobSpec& spec) {
      return fmt::format("{}:{}:{}", manifest_path.string(), spec.pos.line, spec.pos.col);
    };

    for (size_t pos = 0; pos < m.jobs.size(); ++pos) {
      const JobSpec& spec = m.jobs[pos];
      std::string input = input_json(spec);
      auto it = stored.find(spec.id);
      if (it == stored.end()) {
        for (int take = 1; take <= spec.takes; ++take) {
          insert_take(spec, take, static_cast<int>(pos), input);
        }
        continue;
      }
      StoredJob& job = it->second;
      int stored_takes = static_cast<int>(job.takes.size());
      bool spec_changed = !same_input(job.input_json, input);
      if (!spec_changed && job.input_json != input) {
        // The same images named from where they are now (a moved project, a linked folder): the
        // takes keep the new names, so the listener serves the files from there.
        restate_input.bind(1, input);
        restate_input.bind(2, m.batch);
        restate_input.bind(3, spec.id);
        restate_input.exec();
        restate_input.reset();
      }
      if (on_changed == OnChanged::refuse) {
        if (spec_changed) {
          conflicts.push_back(
              fmt::format("{}: job '{}' changed since it was enqueued ({} differs); "
                          "add --replace-changed to render the new spec in place of takes not yet rendered",
                          place(spec), spec.id, changed_field(job.input_json, input)));
          continue;
        }
        // Lowering takes only changes takes still queued: rendered ones stay, and ones cancelled
        // by an earlier lowering are cancelled already.
        bool queued_beyond = false;
        for (int take = spec.takes + 1; take <= stored_takes; ++take) {
          queued_beyond |= job.takes[static_cast<size_t>(take - 1)].state == JobState::queued;
        }
        if (queued_beyond) {
          conflicts.push_back(
              fmt::format("{}: job '{}' changed since it was enqueued (takes lowered from {} to {}); "
                          "add --replace-changed to cancel the extra takes",
                          place(spec), spec.id, stored_takes, spec.takes));
          continue;
        }
      }
      for (int take = 1; take <= std::max(stored_takes, spec.takes); ++take) {
        if (take > stored_takes) {
          insert_take(spec, take, static_cast<int>(pos), input);
          continue;
        }
        const StoredTake& t = job.takes[static_cast<size_t>(take - 1)];
        if (take > spec.takes) {
          if (t.state == JobState::queued) {
            cancel.bind(1, k_note_takes_lowered);
            cancel.bind(2, now);
            cancel.bind(3, now);
            cancel.bind(4, t.row);
            cancel.exec();
            cancel.reset();
            ++report.cancelled;
          }
          continue;
        }
        if (!spec_changed) {
          // Takes cancelled because `takes` was lowered come back when it is raised again; a take
          // cancelled with `reelq cancel` stays cancelled (`reelq retry --cancelled` brings it back).
          if (t.state == JobState::cancelled && t.note == k_note_takes_lowered) {
            start_over(t, input, static_cast<int>(pos), "takes raised again in the manifest");
            ++report.restored;
          } else {
            ++report.unchanged;
          }
          continue;
        }
        if (!replaceable(t)) {
          conflicts.push_back(fmt::format(
              "{}: job '{}' take {} changed ({} differs) but {}; it cannot be replaced. To render the new spec "
              "as well, give it another id or raise takes",
              place(spec), spec.id, take, changed_field(job.input_json, input),
              t.state == JobState::succeeded || t.has_results
                  ? "it was already rendered and paid for"
                  : fmt::format("it is at the API now ({})", to_string(t.state))));
          continue;
        }
        start_over(t, input, static_cast<int>(pos),
                   fmt::format("replaced: {} changed in the manifest{}", changed_field(job.input_json, input),
                               t.state == JobState::failed ? fmt::format(" (was failed: {})", t.fail_code) : ""));
        ++report.replaced;
      }
    }
    if (!conflicts.empty()) {
      std::string message;
      for (const auto& c : conflicts) {
        message += c + "\n";
      }
      return Error{ErrorKind::conflict, message};  // the transaction rolls back: nothing written
    }
    tx.commit();
  } catch (const SQLite::Exception& e) {
    return Error{ErrorKind::storage, fmt::format("cannot enqueue batch '{}': {}", m.batch, e.what())};
  }
  return report;
}

Result<std::vector<BatchSummary>> Queue::summaries(const std::optional<std::string>& batch) {
  std::vector<BatchSummary> out;
  try {
    SQLite::Statement q(
        *m_db,
        "SELECT b.name, b.model, b.created_at, max(b.updated_at, coalesce((SELECT max(j.updated_at) FROM "
        "jobs j WHERE j.batch = b.name), 0)) FROM batches b "
        "WHERE ?1 IS NULL OR b.name = ?1 ORDER BY b.created_at, b.name");
    if (batch) {
      q.bind(1, *batch);
    }
    while (q.executeStep()) {
      BatchSummary s;
      s.name = q.getColumn(0).getString();
      s.model = q.getColumn(1).getString();
      s.created_at = q.getColumn(2).getInt64();
      s.updated_at = q.getColumn(3).getInt64();
      for (JobState st : k_all_states) {
        s.counts[st] = 0;
      }
      out.push_back(std::move(s));
    }
    SQLite::Statement c(*m_db,
                        "SELECT batch, state, count(*) FROM jobs WHERE ?1 IS NULL OR batch = ?1 GROUP BY batch, state");
    if (batch) {
      c.bind(1, *batch);
    }
    while (c.executeStep()) {
      std::string name = c.getColumn(0).getString();
      for (auto& s : out) {
        if (s.name == name) {
          s.counts[parse_job_state(c.getColumn(1).getString()).value_or(JobState::queued)] = c.getColumn(2).getInt();
        }
      }
    }
  } catch (const SQLite::Exception& e) {
    return Error{ErrorKind::storage, fmt::format("cannot read the queue: {}", e.what())};
  }
  if (batch && out.empty()) {
    return Error{ErrorKind::usage, fmt::format("no batch named '{}' in this database", *batch)};
  }
  return out;
}

}  // namespace reelq
